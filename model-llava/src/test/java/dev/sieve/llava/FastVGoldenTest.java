package dev.sieve.llava;

import static dev.sieve.llava.LlavaGoldenTest.close;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.FastV;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FastV in the model against the goldens computed with FastV's official code
 * (../shared/fixtures/<model>/pruning_<case>.safetensors, every fastv.k{K}.keep{B} config):
 * scores, kept indices, kept positions, pruned logits, greedy tokens and step logits.
 */
class FastVGoldenTest extends PruningGoldenTestBase {
    private static final Pattern CONFIG = Pattern.compile("fastv\\.k(\\d+)\\.keep(\\d+)\\.kept_indices");

    @ParameterizedTest
    @MethodSource("cases")
    void everyFastVConfigMatchesTheReferenceCode(String modelAndCase) {
        int configs = PruningGoldens.forEachConfig(modelAndCase, CONFIG, (m, llava, pixels, ids, pruning) -> {
            String prefix = "fastv.k" + m.group(1) + ".keep" + m.group(2) + ".";
            FastV fastv = new FastV(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            Llava.Generation g = llava.generate(pixels, ids, 8, Sampler.greedy(), new int[0], (s, t) -> { },
                    dev.sieve.pruning.PrunePlan.of(fastv), ops());
            close(g.stages().get(0).cuts().get(0).scores(), pruning.tensor(prefix + "scores").toFloatArray(), prefix + "scores");
            assertThat(Arrays.stream(g.stages().get(0).kept()).asLongStream().toArray()).as(prefix + "kept_indices")
                    .containsExactly(pruning.tensor(prefix + "kept_indices").toLongArray());
            assertThat(Arrays.stream(g.lastLayerPositions()).asLongStream().toArray()).as(prefix + "keep_positions")
                    .containsExactly(pruning.tensor(prefix + "keep_positions").toLongArray());
            PruningGoldens.assertLlmOutputs(g, pruning, prefix);
        });
        assertThat(configs).as("FastV configs in the golden file").isGreaterThanOrEqualTo(3);
    }
}
