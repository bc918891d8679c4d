package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.pruning.FastV;
import dev.sieve.pruning.PrunePlan;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.PyramidDrop;
import dev.sieve.pruning.UniformBaseline;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The positions= override: which position ids the kept rows get, and that they reach RoPE. */
class PositionRuleTest {
    private static final ExecutionContext CTX = ExecutionContext.create(2);
    private static Llava llava;
    private static float[] pixels;
    private static int[] ids;  // image placeholder at index 3 of 10; 16 image tokens -> 25 rows

    @BeforeAll
    static void load() {
        llava = Llava.load(TinyExample.DIR);
        pixels = TinyExample.golden().pixels();
        ids = TinyExample.golden().ids();
    }

    @AfterAll
    static void close() {
        llava.close();
        CTX.close();
    }

    private static Llava.Generation run(PrunePlan pruning) {
        return llava.generate(pixels, ids, 3, Sampler.greedy(), new int[0], (s, t) -> { }, pruning, new Ops(CTX));
    }

    /** Unpruned position ids of the 13 rows left when 4 of the 16 image tokens (at 3..18) are kept: text before, kept patches, text after. */
    private static int[] originalIds(int[] keptImageTokens) {
        int[] ids = new int[13];
        for (int i = 0; i < 13; i++) {
            ids[i] = i < 3 ? i : i < 7 ? 3 + keptImageTokens[i - 3] : i - 4 + 16;
        }
        return ids;
    }

    @Test
    void fastVKeepsOriginalIdsUnlessToldToReindex() {
        Llava.Generation kept = run(PrunePlan.of(new FastV(2, 4)));
        assertThat(kept.lastLayerPositions()).containsExactly(originalIds(kept.stages().get(0).kept()));
        assertThat(kept.lastLayerPositions()[kept.lastLayerPositions().length - 1]).isEqualTo(24);
        Llava.Generation reindexed = run(PrunePlan.of(new FastV(2, 4)).withPositions(PositionRule.REINDEX));
        assertThat(reindexed.stages().get(0).kept()).containsExactly(kept.stages().get(0).kept());
        assertThat(reindexed.lastLayerPositions()).containsExactly(IntStream.range(0, 13).toArray());
        assertThat(reindexed.promptLogits()).isNotEqualTo(kept.promptLogits());
        // Nothing cut: re-indexing changes nothing.
        Llava.Generation all = run(PrunePlan.of(new FastV(2, 16)).withPositions(PositionRule.REINDEX));
        assertThat(all.promptLogits()).containsExactly(run(PrunePlan.of(new FastV(2, 16))).promptLogits());
    }

    @Test
    void visionSidePruningReindexesUnlessToldToKeepOriginalIds() {
        Llava.Generation reindexed = run(PrunePlan.of(new UniformBaseline(4)));
        assertThat(reindexed.lastLayerPositions()).containsExactly(IntStream.range(0, 13).toArray());
        Llava.Generation original = run(PrunePlan.of(new UniformBaseline(4)).withPositions(PositionRule.ORIGINAL));
        assertThat(original.lastLayerPositions()).containsExactly(originalIds(original.stages().get(0).kept()));
        assertThat(original.promptLogits()).isNotEqualTo(reindexed.promptLogits());
        assertThat(original.stepLogits()).isNotEqualTo(reindexed.stepLogits());
        // Every token kept with original ids is the unpruned run.
        Llava.Generation everything = run(PrunePlan.of(new UniformBaseline(16)).withPositions(PositionRule.ORIGINAL));
        Llava.Generation unpruned = run(PrunePlan.NONE);
        assertThat(everything.promptLogits()).containsExactly(unpruned.promptLogits());
        assertThat(everything.newTokens()).containsExactly(unpruned.newTokens());
    }

    @Test
    void pyramidDropReindexesUnlessToldToKeepOriginalIds() {
        PyramidDrop pd = new PyramidDrop(new int[] {1, 2}, new double[] {0.5, 0.25});
        Llava.Generation reindexed = run(PrunePlan.of(pd));
        assertThat(reindexed.lastLayerPositions()).containsExactly(IntStream.range(0, 13).toArray());
        Llava.Generation original = run(PrunePlan.of(pd).withPositions(PositionRule.ORIGINAL));
        int[] kept = original.stages().get(0).cuts().get(1).kept();
        assertThat(kept).hasSize(4).isSorted();
        assertThat(original.lastLayerPositions()).containsExactly(originalIds(kept));
        assertThat(original.promptLogits()).isNotEqualTo(reindexed.promptLogits());
        assertThat(original.stepLogits()).isNotEqualTo(reindexed.stepLogits());
        // Every token kept with original ids is the unpruned run, prompt and decode.
        Llava.Generation everything = run(PrunePlan.of(new PyramidDrop(new int[] {1, 2}, new double[] {1, 1})).withPositions(PositionRule.ORIGINAL));
        Llava.Generation unpruned = run(PrunePlan.NONE);
        assertThat(everything.promptLogits()).containsExactly(unpruned.promptLogits());
        assertThat(everything.stepLogits()).containsExactly(unpruned.stepLogits());
        assertThat(everything.newTokens()).containsExactly(unpruned.newTokens());
    }

    @Test
    void originalIdsAreRefusedWhereTheyDoNotExist() {
        assertThatThrownBy(() -> run(PrunePlan.of(new dev.sieve.pruning.VisionZip(4, 2)).withPositions(PositionRule.ORIGINAL)))
                .isInstanceOf(ModelException.class).hasMessageContaining("visionzip").hasMessageContaining("positions=original");
        assertThatThrownBy(() -> llava.plan("sparsevlm:layers=1,counts=4,positions=original"))
                .isInstanceOf(ModelException.class).hasMessageContaining("sparsevlm").hasMessageContaining("positions=original");
    }
}
