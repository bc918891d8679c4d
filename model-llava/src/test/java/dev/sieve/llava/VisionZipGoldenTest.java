package dev.sieve.llava;

import static dev.sieve.llava.LlavaGoldenTest.close;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.VisionZip;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** VisionZip against the goldens of its official code (every visionzip.keep{B}.d{D}c{C} config). */
class VisionZipGoldenTest extends PruningGoldenTestBase {
    private static final Pattern CONFIG = Pattern.compile("visionzip\\.keep(\\d+)\\.d(\\d+)c(\\d+)\\.logits");

    @ParameterizedTest
    @MethodSource("cases")
    void everyVisionZipConfigMatchesTheReferenceCode(String modelAndCase) {
        int configs = PruningGoldens.forEachConfig(modelAndCase, CONFIG, (m, llava, pixels, ids, pruning) -> {
            String prefix = "visionzip.keep" + m.group(1) + ".d" + m.group(2) + "c" + m.group(3) + ".";
            VisionZip zip = new VisionZip(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
            assertThat(VisionZip.forBudget(Integer.parseInt(m.group(1)))).isEqualTo(zip);
            RecordingVisionZip recording = new RecordingVisionZip(zip);
            Llava.Generation g = llava.generate(pixels, ids, 8, Sampler.greedy(), new int[0], (s, t) -> { },
                    dev.sieve.pruning.PrunePlan.of(recording), ops());
            VisionZip.Result r = recording.result;
            assertThat(g.stages().get(0).kept()).as("the stage reports the dominant tokens as kept")
                    .containsExactly(r.dominantIndices());
            assertThat(Arrays.stream(r.dominantIndices()).asLongStream().toArray()).as(prefix + "dominant_indices")
                    .containsExactly(pruning.tensor(prefix + "dominant_indices").toLongArray());
            assertThat(Arrays.stream(r.targetIndices()).asLongStream().toArray()).as(prefix + "contextual_target_indices")
                    .containsExactly(pruning.tensor(prefix + "contextual_target_indices").toLongArray());
            assertThat(Arrays.stream(r.mergedIndices()).asLongStream().toArray()).as(prefix + "merged_indices")
                    .containsExactly(pruning.tensor(prefix + "merged_indices").toLongArray());
            assertThat(Arrays.stream(r.assignment()).asLongStream().toArray()).as(prefix + "contextual_assignment")
                    .containsExactly(pruning.tensor(prefix + "contextual_assignment").toLongArray());
            close(r.tokens(), pruning.tensor(prefix + "visual_tokens").toFloatArray(), prefix + "visual_tokens");
            PruningGoldens.assertLlmOutputs(g, pruning, prefix);
        });
        assertThat(configs).as("VisionZip configs in the golden file").isGreaterThanOrEqualTo(3);
    }

    /**
     * VisionZip through the public stage interface, recording what it computed from the signals the model gave
     * it (a stage defined outside pruning/, so this also shows a wrapper needs nothing private).
     */
    private static final class RecordingVisionZip implements dev.sieve.pruning.pipeline.PruningStage {
        private final VisionZip zip;
        VisionZip.Result result;

        RecordingVisionZip(VisionZip zip) {
            this.zip = zip;
        }

        @Override
        public String name() {
            return zip.name();
        }

        @Override
        public java.util.List<dev.sieve.pruning.pipeline.Hook> hooks(dev.sieve.pruning.pipeline.ModelShape shape) {
            return zip.hooks(shape);
        }

        @Override
        public boolean appendsRows() {
            return true;
        }

        @Override
        public dev.sieve.pruning.pipeline.SignalRequest wants(dev.sieve.pruning.pipeline.Hook hook, dev.sieve.pruning.pipeline.SequenceView view) {
            return zip.wants(hook, view);
        }

        @Override
        public dev.sieve.pruning.pipeline.Decision decide(dev.sieve.pruning.pipeline.Hook hook, dev.sieve.pruning.pipeline.SequenceView view,
                                                          dev.sieve.pruning.pipeline.Signals signals) {
            int[] rows = java.util.stream.IntStream.range(0, view.rows()).toArray();
            int[] visual = view.visualRows();
            result = zip.apply(signals.hidden(rows), signals.hiddenDim(), signals.attentionOf(0, visual), signals.keys(rows), signals.keyDim());
            return zip.decide(hook, view, signals);
        }
    }
}
