package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.DivPrune;
import dev.sieve.pruning.FasterVlm;
import dev.sieve.pruning.VisPruner;
import dev.sieve.pruning.VisionMethod;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * VisPruner, FasterVLM and DivPrune in the model against the goldens computed with their official
 * code (every vispruner/fastervlm/divprune config of the pruning files): kept indices exact, then the
 * LLM on the shortened prompt — logits, greedy tokens, step logits.
 */
class VisionPruningGoldenTest extends PruningGoldenTestBase {
    private static final Pattern CONFIG = Pattern.compile("(vispruner\\.keep(\\d+)\\.r([0-9.]+)|fastervlm\\.keep(\\d+)|divprune\\.keep(\\d+))\\.kept_indices");

    @ParameterizedTest
    @MethodSource("cases")
    void everyVisionSideConfigMatchesTheReferenceCode(String modelAndCase) {
        int configs = PruningGoldens.forEachConfig(modelAndCase, CONFIG, (m, llava, pixels, ids, pruning) -> {
            String prefix = m.group(1) + ".";
            VisionMethod method = m.group(2) != null ? new VisPruner(Integer.parseInt(m.group(2)), Double.parseDouble(m.group(3)))
                    : m.group(4) != null ? new FasterVlm(Integer.parseInt(m.group(4))) : new DivPrune(Integer.parseInt(m.group(5)));
            Llava.Generation g = llava.generate(pixels, ids, 8, Sampler.greedy(), new int[0], (s, t) -> { },
                    dev.sieve.pruning.PrunePlan.of(method), ops());
            assertThat(Arrays.stream(g.stages().get(0).kept()).asLongStream().toArray()).as(prefix + "kept_indices")
                    .containsExactly(pruning.tensor(prefix + "kept_indices").toLongArray());
            PruningGoldens.assertLlmOutputs(g, pruning, prefix);
        });
        assertThat(configs).as("vision-side configs in the golden file").isGreaterThanOrEqualTo(9);
    }
}
