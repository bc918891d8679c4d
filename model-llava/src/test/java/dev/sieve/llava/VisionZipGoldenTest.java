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
            Llava.Generation g = llava.generate(pixels, ids, 8, Sampler.greedy(), new int[0], (s, t) -> { },
                    new Llava.Pruning(null, null, null, zip), ops());
            VisionZip.Result r = g.zip();
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
}
