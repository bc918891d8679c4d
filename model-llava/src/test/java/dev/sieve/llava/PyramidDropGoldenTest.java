package dev.sieve.llava;

import static dev.sieve.llava.LlavaGoldenTest.close;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.PyramidDrop;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyramidDrop against the goldens made with its official ranking code (every pdrop.l*.r* config):
 * per stage the candidates, scores and kept tokens, then the pruned logits, greedy tokens and
 * step logits (decoding at each layer's own next position).
 */
class PyramidDropGoldenTest extends PruningGoldenTestBase {
    private static final Pattern CONFIG = Pattern.compile("pdrop\\.l([0-9_]+)\\.r([0-9._]+)\\.logits");

    @ParameterizedTest
    @MethodSource("cases")
    void everyPyramidDropConfigMatchesTheReferenceCode(String modelAndCase) {
        int configs = PruningGoldens.forEachConfig(modelAndCase, CONFIG, (m, llava, pixels, ids, pruning) -> {
            String prefix = "pdrop.l" + m.group(1) + ".r" + m.group(2) + ".";
            int[] layers = Arrays.stream(m.group(1).split("_")).mapToInt(Integer::parseInt).toArray();
            double[] ratios = Arrays.stream(m.group(2).split("_")).mapToDouble(Double::parseDouble).toArray();
            Llava.Generation g = llava.generate(pixels, ids, 8, Sampler.greedy(), new int[0], (s, t) -> { },
                    dev.sieve.pruning.PrunePlan.of(new PyramidDrop(layers, ratios)), ops());
            assertThat(g.stages()).hasSize(1);
            assertThat(g.stages().get(0).cuts()).hasSize(layers.length);
            for (int s = 0; s < layers.length; s++) {
                dev.sieve.pruning.pipeline.StageResult.Cut stage = g.stages().get(0).cuts().get(s);
                String st = prefix + "stage" + s + ".";
                assertThat(Arrays.stream(stage.candidates()).asLongStream().toArray()).as(st + "candidate_indices")
                        .containsExactly(pruning.tensor(st + "candidate_indices").toLongArray());
                close(stage.scores(), pruning.tensor(st + "scores").toFloatArray(), st + "scores");
                assertThat(Arrays.stream(stage.kept()).asLongStream().toArray()).as(st + "kept_indices")
                        .containsExactly(pruning.tensor(st + "kept_indices").toLongArray());
            }
            PruningGoldens.assertLlmOutputs(g, pruning, prefix);
        });
        assertThat(configs).as("PyramidDrop configs in the golden file").isGreaterThanOrEqualTo(1);
    }
}
