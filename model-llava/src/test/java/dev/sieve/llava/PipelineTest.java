package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.pruning.PrunePlan;
import dev.sieve.pruning.PruneSpec;
import dev.sieve.pruning.StageRegistry;
import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.PruningStage;
import dev.sieve.pruning.pipeline.SequenceView;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import dev.sieve.pruning.pipeline.StageResult;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generic loop: plans of several stages in flow order, ivtp-vit inside the vision tower, and a
 * method defined here, outside pruning/, going through the same public interface and registry.
 * The tiny model: 16 patches, CLIP run to layer 2 of 4, 4 LLM layers; the prompt has 9 text rows.
 */
class PipelineTest {
    private static final ExecutionContext CTX = ExecutionContext.create(2);
    private static Llava llava;
    private static TinyExample in;

    @BeforeAll
    static void load() {
        llava = Llava.load(TinyExample.DIR);
        in = TinyExample.golden();
    }

    @AfterAll
    static void close() {
        llava.close();
        CTX.close();
    }

    private static Llava.Generation run(PrunePlan plan) {
        return llava.generate(in.pixels(), in.ids(), 4, Sampler.greedy(), new int[0], (s, t) -> { }, plan, new Ops(CTX));
    }

    @Test
    void ivtpVitKeepingEveryTokenIsTheUnprunedRunBitForBit() {
        Llava.Generation all = run(llava.plan("ivtp-vit:keep=16"));
        Llava.Generation unpruned = run(PrunePlan.NONE);
        assertThat(all.promptLogits()).containsExactly(unpruned.promptLogits());
        assertThat(all.stepLogits()).containsExactly(unpruned.stepLogits());
        assertThat(all.newTokens()).containsExactly(unpruned.newTokens());
        assertThat(all.stages().get(0).kept()).containsExactly(IntStream.range(0, 16).toArray());
    }

    @Test
    void ivtpVitShrinksTheLaterVisionLayersAndTheirFlops() {
        Llava.Generation g = run(llava.plan("ivtp-vit:keep=6"));
        // One group (the tower runs 3 layers): the cut comes after layer 1, so the feature layer runs on [CLS] + 6.
        assertThat(g.visionTokensPerLayer()).containsExactly(17, 17, 7);
        assertThat(g.stages().get(0).cuts()).singleElement().satisfies(c -> {
            assertThat(c.hook()).isEqualTo(Hook.afterVisionLayer(1));
            assertThat(c.candidates()).containsExactly(IntStream.range(0, 16).toArray());
            assertThat(c.kept()).hasSize(6).isSorted();
        });
        assertThat(g.projectedRows()).isEqualTo(6);
        assertThat(g.promptLength()).isEqualTo(9 + 6);
        PrefillFlops flops = PrefillFlops.of(g, llava.config(), 25);
        assertThat(flops.vision()).isLessThan(flops.visionUnpruned());
        // CLIP width 64, MLP 128: layers 0 and 1 on 17 rows, the feature layer on 7.
        assertThat(flops.vision()).isEqualTo(2 * PrefillFlops.layer(17, 64, 128) + PrefillFlops.layer(7, 64, 128));
        assertThat(flops.visionUnpruned()).isEqualTo(3 * PrefillFlops.layer(17, 64, 128));
    }

    @Test
    void aThreeStagePlanReportsThreeStagesWithTheirCountsLayerByLayer() {
        Llava.Generation g = run(llava.plan("ivtp-vit:keep=12+vispruner:keep=8+pdrop:layers=1/2,ratios=0.5/0.25"));
        assertThat(g.stages()).extracting(StageResult::name).containsExactly("ivtp-vit", "vispruner", "pdrop");
        assertThat(g.stages().get(0).kept()).hasSize(12);
        int[] afterVit = g.stages().get(0).kept();
        int[] afterVisPruner = g.stages().get(1).kept();
        assertThat(afterVisPruner).hasSize(8);
        assertThat(Arrays.stream(afterVit).boxed().toList()).containsAll(Arrays.stream(afterVisPruner).boxed().toList());
        List<StageResult.Cut> drops = g.stages().get(2).cuts();
        assertThat(drops).hasSize(2);
        assertThat(drops.get(0).candidates()).containsExactly(afterVisPruner);
        assertThat(drops.get(0).kept()).hasSize(4);
        assertThat(drops.get(1).kept()).hasSize(2);
        assertThat(g.llmTokensPerLayer()).containsExactly(9 + 8, 9 + 4, 9 + 2, 9 + 2);
        assertThat(g.stages().get(2).firstLlmLayer()).isEqualTo(1);
        assertThat(g.stages().get(2).llmTokens()).containsExactly(13, 11, 11);
        assertThat(g.visualTokensKept()).isEqualTo(2);
        assertThat(g.visualTokensTotal()).isEqualTo(16);
    }

    @Test
    void thePapersFullIvtpRunsBothSides() {
        Llava.Generation g = run(llava.plan("ivtp-vit:keep=8+ivtp:k=2,keep=4"));
        assertThat(g.stages()).extracting(StageResult::name).containsExactly("ivtp-vit", "ivtp");
        assertThat(g.stages().get(1).kept()).hasSize(4);
        assertThat(g.llmTokensPerLayer()).containsExactly(17, 17, 13, 13);
    }

    @Test
    void stagesAtOneHookShareOneProbeButEachSeesOnlyItsOwnQueries() {
        // IVTP ranks by the instruction rows, FastV by the last row, both after LLM layer 1: one probe serves both.
        Llava.Generation both = run(llava.plan("ivtp:k=2,keep=8+fastv:k=2,keep=4"));
        Llava.Generation fastvAlone = run(llava.plan("fastv:k=2,keep=16"));
        int[] afterIvtp = both.stages().get(0).kept();
        float[] lastRowScores = fastvAlone.stages().get(0).cuts().get(0).scores();
        StageResult.Cut fastvCut = both.stages().get(1).cuts().get(0);
        assertThat(fastvCut.candidates()).containsExactly(afterIvtp);
        for (int j = 0; j < afterIvtp.length; j++) {
            assertThat(fastvCut.scores()[j]).as("FastV's score of token %d", afterIvtp[j]).isEqualTo(lastRowScores[afterIvtp[j]]);
        }
        assertThat(both.stages().get(1).kept()).hasSize(4);
        assertThat(both.llmTokensPerLayer()).containsExactly(25, 25, 13, 13);
    }

    @Test
    void aMethodDefinedOutsidePruningRunsThroughTheRegistryAndTheSameLoop() {
        StageRegistry.register("every-other", "phase=0|1", EveryOther::fromSpec);
        Llava.Generation g = run(llava.plan("every-other:phase=1+fastv:k=2,keep=0.5"));
        assertThat(g.stages().get(0).name()).isEqualTo("every-other");
        assertThat(g.stages().get(0).kept()).containsExactly(1, 3, 5, 7, 9, 11, 13, 15);
        assertThat(g.stages().get(1).kept()).hasSize(4);
        assertThat(Arrays.stream(g.stages().get(1).kept()).allMatch(i -> i % 2 == 1)).isTrue();
        // Acting after the projector, it sees the projected rows (the LLM's width).
        assertThat(EveryOther.lastWidth).isEqualTo(llava.config().text().hiddenSize());
        assertThatThrownBy(() -> llava.plan("every-other:phase=2")).isInstanceOf(ModelException.class).hasMessageContaining("phase=2");
    }

    @Test
    void badPlansAreRefusedInOneLineBeforeAnythingRuns() {
        assertThatThrownBy(() -> llava.plan("fastv:k=2,keep=8+ivtp-vit:keep=4")).isInstanceOf(ModelException.class)
                .hasMessageContaining("stage 2 (ivtp-vit)").hasMessageContaining("before stage 1 (fastv) is done");
        assertThatThrownBy(() -> run(PrunePlan.of(new dev.sieve.pruning.FastV(5, 4)))).isInstanceOf(ModelException.class)
                .hasMessageContaining("after LLM layer 4");
        assertThatThrownBy(() -> llava.plan("ivtp-vit:keep=4,from=2")).isInstanceOf(ModelException.class)
                .hasMessageContaining("from=2 leaves no layer to cut after");
    }

    /** Keeps every other projected row: a whole pruning method in a few lines, outside the pruning module. */
    record EveryOther(int phase) implements PruningStage {
        static volatile int lastWidth;

        static EveryOther fromSpec(PruneSpec spec, ModelShape shape, int visualTokens) {
            spec.requireKeys(List.of("phase"));
            int phase = spec.integer("phase");
            if (phase != 0 && phase != 1) {
                throw new IllegalArgumentException("every-other phase=" + phase + " must be 0 or 1");
            }
            return new EveryOther(phase);
        }

        @Override
        public String name() {
            return "every-other";
        }

        @Override
        public List<Hook> hooks(ModelShape shape) {
            return List.of(Hook.projected());
        }

        @Override
        public SignalRequest wants(Hook hook, SequenceView view) {
            return SignalRequest.hiddenOf(view.visualRows());
        }

        @Override
        public Decision decide(Hook hook, SequenceView view, Signals signals) {
            lastWidth = signals.hidden(view.visualRows()).length / view.visualRows().length;
            int[] chosen = IntStream.range(0, view.visualRows().length).filter(i -> i % 2 == phase).toArray();
            return Decision.keepVisual(view, chosen, PositionRule.REINDEX, null);
        }

        @Override
        public int visualTokensAfter(int entering) {
            return (entering + 1 - phase) / 2;
        }
    }
}
