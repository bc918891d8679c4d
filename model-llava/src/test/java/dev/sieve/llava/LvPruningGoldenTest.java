package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.pruning.pipeline.StageResult;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled model's LVPruning modules (models/shapes-llava/lvpruning, trained by
 * tools/train-lvpruning.py) against what their PyTorch definition produced for the sample questions:
 * each module's keep − drop scores, the kept indices per stage (exact), the pruned prompt's logits
 * (1e-4 + 1e-4·|ref|) and the greedy tokens.
 */
class LvPruningGoldenTest {
    private static final Path MODULES = ShapesLlavaGoldenTest.MODEL.resolve("lvpruning");
    private static final ExecutionContext CTX = ExecutionContext.create(2);
    private static Llava llava;

    @BeforeAll
    static void load() {
        llava = Llava.load(ShapesLlavaGoldenTest.MODEL);
    }

    @AfterAll
    static void close() {
        llava.close();
        CTX.close();
    }

    static Stream<Path> goldens() throws IOException {
        try (Stream<Path> files = Files.list(MODULES)) {
            return files.filter(p -> p.getFileName().toString().matches("golden_\\d+\\.safetensors")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void modulesKeptTokensLogitsAndTokensMatchPyTorch(Path golden) {
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(golden)) {
            float[] pixels = g.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(g.tensor("input_ids").toLongArray()).mapToInt(Math::toIntExact).toArray();
            long[] expectedTokens = g.tensor("generate.new_tokens").toLongArray();
            Llava.Generation run = llava.generate(pixels, ids, expectedTokens.length, Sampler.greedy(), new int[0], (s, t) -> { },
                    llava.plan("lvpruning"), new Ops(CTX));
            StageResult stage = run.stages().get(0);
            assertThat(stage.name()).isEqualTo("lvpruning");
            assertThat(stage.cuts()).hasSize(2);
            for (int s = 0; s < 2; s++) {
                StageResult.Cut cut = stage.cuts().get(s);
                float[] moduleLogits = g.tensor("stage" + s + ".module_logits").toFloatArray();
                float[] expectedScores = new float[moduleLogits.length / 2];
                for (int j = 0; j < expectedScores.length; j++) {
                    expectedScores[j] = moduleLogits[2 * j] - moduleLogits[2 * j + 1];
                }
                LlavaGoldenTest.close(cut.scores(), expectedScores, 1e-4, golden.getFileName() + " stage " + s + " keep - drop");
                assertThat(Arrays.stream(cut.kept()).asLongStream().toArray()).as(golden.getFileName() + " stage " + s + " kept")
                        .containsExactly(g.tensor("stage" + s + ".kept_indices").toLongArray());
            }
            LlavaGoldenTest.close(run.promptLogits(), g.tensor("logits").toFloatArray(), 1e-4, golden.getFileName() + " logits");
            assertThat(Arrays.stream(run.newTokens()).asLongStream().toArray()).as(golden.getFileName() + " tokens").containsExactly(expectedTokens);
            assertThat(run.visualTokensKept()).isEqualTo(16);
        }
    }

    @Test
    void refusesMissingOrMismatchedModulesInOneLine() {
        assertThatThrownBy(() -> llava.plan("lvpruning:modules=/nonexistent")).isInstanceOf(ModelException.class)
                .hasMessageContaining("/nonexistent holds no trained modules");
        try (Llava tiny = Llava.load(TinyExample.DIR)) {
            assertThatThrownBy(() -> tiny.plan("lvpruning")).isInstanceOf(ModelException.class).hasMessageContaining("holds no trained modules");
            assertThatThrownBy(() -> tiny.plan("lvpruning:modules=" + MODULES)).isInstanceOf(ModelException.class)
                    .hasMessageContaining("hidden_size 128 but the model's LLM width is 96");
        }
        assertThat(llava.plan("lvpruning:keep=8").entries().get(0).stage().visualTokensAfter(144)).isEqualTo(8);
    }
}
