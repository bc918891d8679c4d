package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.pruning.FastV;
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

    private static Llava.Generation run(Llava.Pruning pruning) {
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
        Llava.Generation kept = run(new Llava.Pruning(null, new FastV(2, 4)));
        assertThat(kept.lastLayerPositions()).containsExactly(kept.pruned().keptPositions());
        assertThat(kept.lastLayerPositions()[kept.lastLayerPositions().length - 1]).isEqualTo(24);
        Llava.Generation reindexed = run(new Llava.Pruning(null, new FastV(2, 4), null, null, Llava.PositionRule.REINDEX));
        assertThat(reindexed.pruned().keptImageIndices()).containsExactly(kept.pruned().keptImageIndices());
        assertThat(reindexed.lastLayerPositions()).containsExactly(IntStream.range(0, 13).toArray());
        assertThat(reindexed.promptLogits()).isNotEqualTo(kept.promptLogits());
        // Nothing cut: re-indexing changes nothing.
        Llava.Generation all = run(new Llava.Pruning(null, new FastV(2, 16), null, null, Llava.PositionRule.REINDEX));
        assertThat(all.promptLogits()).containsExactly(run(new Llava.Pruning(null, new FastV(2, 16))).promptLogits());
    }

    @Test
    void visionSidePruningReindexesUnlessToldToKeepOriginalIds() {
        Llava.Generation reindexed = run(new Llava.Pruning(new UniformBaseline(4), null));
        assertThat(reindexed.lastLayerPositions()).containsExactly(IntStream.range(0, 13).toArray());
        Llava.Generation original = run(new Llava.Pruning(new UniformBaseline(4), null, null, null, Llava.PositionRule.ORIGINAL));
        assertThat(original.lastLayerPositions()).containsExactly(originalIds(original.visionKept()));
        assertThat(original.promptLogits()).isNotEqualTo(reindexed.promptLogits());
        assertThat(original.stepLogits()).isNotEqualTo(reindexed.stepLogits());
        // Every token kept with original ids is the unpruned run.
        Llava.Generation everything = run(new Llava.Pruning(new UniformBaseline(16), null, null, null, Llava.PositionRule.ORIGINAL));
        Llava.Generation unpruned = run(Llava.Pruning.NONE);
        assertThat(everything.promptLogits()).containsExactly(unpruned.promptLogits());
        assertThat(everything.newTokens()).containsExactly(unpruned.newTokens());
    }

    @Test
    void pyramidDropReindexesUnlessToldToKeepOriginalIds() {
        PyramidDrop pd = new PyramidDrop(new int[] {1, 2}, new double[] {0.5, 0.25});
        Llava.Generation reindexed = run(new Llava.Pruning(null, null, pd));
        assertThat(reindexed.lastLayerPositions()).containsExactly(IntStream.range(0, 13).toArray());
        Llava.Generation original = run(new Llava.Pruning(null, null, pd, null, Llava.PositionRule.ORIGINAL));
        int[] kept = original.dropStages().get(1).kept();
        assertThat(kept).hasSize(4).isSorted();
        assertThat(original.lastLayerPositions()).containsExactly(originalIds(kept));
        assertThat(original.promptLogits()).isNotEqualTo(reindexed.promptLogits());
        assertThat(original.stepLogits()).isNotEqualTo(reindexed.stepLogits());
        // Every token kept with original ids is the unpruned run, prompt and decode.
        Llava.Generation everything = run(new Llava.Pruning(null, null, new PyramidDrop(new int[] {1, 2}, new double[] {1, 1}), null,
                Llava.PositionRule.ORIGINAL));
        Llava.Generation unpruned = run(Llava.Pruning.NONE);
        assertThat(everything.promptLogits()).containsExactly(unpruned.promptLogits());
        assertThat(everything.stepLogits()).containsExactly(unpruned.stepLogits());
        assertThat(everything.newTokens()).containsExactly(unpruned.newTokens());
    }

    @Test
    void originalIdsAreRefusedWhereTheyDoNotExist() {
        assertThatThrownBy(() -> new Llava.Pruning(null, null, null, new dev.sieve.pruning.VisionZip(4, 2), Llava.PositionRule.ORIGINAL))
                .isInstanceOf(ModelException.class).hasMessageContaining("VisionZip");
    }
}
