package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sieve.kernels.AttentionProbe;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.OpKind;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole model against Hugging Face transformers 4.44 goldens (../shared/fixtures): projector
 * output, the feature layer's [CLS] attention, merged embeddings, logits of every position,
 * greedy tokens and every decoding step's logits. Tolerances are the fixtures' suggested ones.
 */
class LlavaGoldenTest {
    private static final ExecutionContext SIMD = ExecutionContext.create(2, ExecutionContext.Backend.SIMD);
    private static final ExecutionContext SCALAR = ExecutionContext.create(1, ExecutionContext.Backend.SCALAR);

    @AfterAll
    static void close() {
        SIMD.close();
        SCALAR.close();
    }

    static Path fixtures() {
        Path dir = Path.of(System.getProperty("sieve.shared.dir", "../shared"), "fixtures").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(dir.resolve("manifest.json")), "skipped: golden fixtures not found at " + dir);
        return dir;
    }

    /** Every case on the SIMD kernels, and one per model on the scalar reference kernels. */
    static Stream<String> cases() {
        return Stream.of("tiny-llava/c0/SIMD", "tiny-llava/c1/SIMD", "tiny-llava-gqa/c0/SIMD", "tiny-llava-gqa/c1/SIMD",
                "tiny-llava/c0/SCALAR", "tiny-llava-gqa/c1/SCALAR");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesTransformers(String modelCaseBackend) {
        String[] parts = modelCaseBackend.split("/");
        ExecutionContext ctx = parts[2].equals("SIMD") ? SIMD : SCALAR;
        ctx.counters().reset();
        Ops ops = new Ops(ctx);
        Path modelDir = fixtures().resolve(parts[0]);
        try (Llava llava = Llava.load(modelDir);
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(modelDir.resolve("golden_" + parts[1] + ".safetensors"))) {
            float[] pixels = golden.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(golden.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            int patches = llava.config().vision().patches();

            AttentionProbe cls = AttentionProbe.of(new int[] {0}, patches + 1);
            float[] features = llava.imageFeatures(pixels, ops, cls);
            close(features, golden.tensor("image_features").toFloatArray(), "image_features");
            float[] clsMean = golden.tensor("vision.cls_attention_mean").toFloatArray();
            for (int j = 0; j < patches; j++) {
                assertThat((double) cls.mean()[1 + j]).as("cls attention to patch %d", j).isCloseTo(clsMean[j], org.assertj.core.data.Offset.offset(1e-5));
            }

            Llava.Merged merged = llava.merge(ids, features);
            close(merged.embeddings(), golden.tensor("inputs_embeds").toFloatArray(), "inputs_embeds");
            int[] expanded = Arrays.stream(golden.tensor("expanded.input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            assertThat(llava.merge(expanded, features).embeddings()).as("one placeholder per image row").containsExactly(merged.embeddings());

            Llava.Generation g = llava.generate(pixels, ids, 8, ops);
            close(g.promptLogits(), golden.tensor("logits").toFloatArray(), "logits");
            long[] tokens = golden.tensor("generate.new_tokens").toLongArray();
            assertThat(Arrays.stream(g.newTokens()).asLongStream().toArray()).as("greedy tokens").containsExactly(tokens);
            close(g.stepLogits(), golden.tensor("generate.step_logits").toFloatArray(), "generate.step_logits");
            assertThat(ctx.counters().snapshot().get(OpKind.GEMM).flops()).as("GEMM FLOPs were counted").isPositive();
            assertThat(ctx.counters().snapshot().get(OpKind.ATTENTION).calls()).isPositive();
        }
    }

    /** |a - b| <= 1e-4 + 1e-4 |b| elementwise, as the fixtures suggest for float32 re-implementations. */
    static void close(float[] actual, float[] expected, String what) {
        close(actual, expected, 1e-4, what);
    }

    /** |a - b| <= tol + tol |b| elementwise; prints the largest difference. */
    static void close(float[] actual, float[] expected, double tol, String what) {
        assertThat(actual.length).as(what + " length").isEqualTo(expected.length);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            worst = Math.max(worst, diff);
            if (diff > tol + tol * Math.abs(expected[i])) {
                throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " (diff " + diff + ", tolerance " + tol + ")");
            }
        }
        System.out.printf("%s: max |diff| %.2e over %d values%n", what, worst, actual.length);
    }

}
