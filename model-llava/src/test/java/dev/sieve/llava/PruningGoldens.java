package dev.sieve.llava;

import static dev.sieve.llava.LlavaGoldenTest.close;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Walks the configs of one fixture case's pruning goldens and checks the LLM outputs every method shares. */
final class PruningGoldens {
    private PruningGoldens() {}

    interface ConfigCheck {
        void check(Matcher config, Llava llava, float[] pixels, int[] ids, SafetensorsCheckpoint pruning);
    }

    /** Runs {@code check} for every tensor name of the case's pruning file matching {@code config}; returns how many matched. */
    static int forEachConfig(String modelAndCase, Pattern config, ConfigCheck check) {
        String[] parts = modelAndCase.split("/");
        Path modelDir = LlavaGoldenTest.fixtures().resolve(parts[0]);
        try (Llava llava = Llava.load(modelDir);
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(modelDir.resolve("golden_" + parts[1] + ".safetensors"));
             SafetensorsCheckpoint pruning = SafetensorsCheckpoint.open(modelDir.resolve("pruning_" + parts[1] + ".safetensors"))) {
            float[] pixels = golden.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(golden.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            int configs = 0;
            for (String name : pruning.names()) {
                Matcher m = config.matcher(name);
                if (m.matches()) {
                    configs++;
                    check.check(m, llava, pixels, ids, pruning);
                }
            }
            return configs;
        }
    }

    /** Pruned prompt logits, greedy tokens and step logits against {@code <prefix>logits|new_tokens|step_logits}. */
    static void assertLlmOutputs(Llava.Generation g, SafetensorsCheckpoint pruning, String prefix) {
        close(g.promptLogits(), pruning.tensor(prefix + "logits").toFloatArray(), prefix + "logits");
        assertThat(Arrays.stream(g.newTokens()).asLongStream().toArray()).as(prefix + "new_tokens")
                .containsExactly(pruning.tensor(prefix + "new_tokens").toLongArray());
        close(g.stepLogits(), pruning.tensor(prefix + "step_logits").toFloatArray(), prefix + "step_logits");
    }
}
