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

    /**
     * Q8_0 weights (every Linear weight quantized at load, llama.cpp's rounding): the greedy tokens
     * are the goldens' and the logits stay within {@link #Q8_TOLERANCE} of transformers' float32
     * ones. Measured on these fixtures (2026-12-01; logits up to |11|): largest |diff| 0.295 over
     * the prompt logits and 0.255 over the step logits of the four cases, so 0.4 leaves 1.36x of room.
     */
    @ParameterizedTest
    @MethodSource("q8Cases")
    void q8WeightsKeepTheGreedyTokensWithinAMeasuredTolerance(String modelCase) {
        Ops ops = new Ops(SIMD);
        ConvertedRun run = generateConverted(modelCase, dev.sieve.kernels.WeightType.Q8_0, ops);
        Llava.Generation g = run.generation();
        long[] tokens = run.tokens();
        float[] goldenSteps = run.stepLogits();
        int vocab = run.vocab();
        int same = Q8_SAME_TOKENS.get(modelCase);
        System.out.printf("%s Q8_0: tokens %s, golden %s; golden lead of top-1 over top-2 per step %s%n", modelCase,
                Arrays.toString(g.newTokens()), Arrays.toString(tokens),
                java.util.stream.IntStream.range(0, tokens.length).mapToObj(i -> String.format("%.3f", lead(goldenSteps, i, vocab))).toList());
        assertThat(Arrays.stream(g.newTokens()).limit(same).asLongStream().toArray()).as("greedy tokens with Q8_0 weights")
                .containsExactly(Arrays.copyOf(tokens, same));
        closeAbsolute(g.promptLogits(), run.logits(), Q8_TOLERANCE, "Q8_0 logits");
        int compared = Math.min(same + 1, tokens.length); // past a different token the contexts differ
        closeAbsolute(Arrays.copyOf(g.stepLogits(), compared * vocab), Arrays.copyOf(goldenSteps, compared * vocab), Q8_TOLERANCE,
                "Q8_0 generate.step_logits");
        // The quantization must actually change the numbers (the conversion ran).
        try (Llava exact = Llava.load(fixtures().resolve(modelCase.split("/")[0]))) {
            float[] unquantized = exact.generate(run.pixels(), run.ids(), 1, ops).promptLogits();
            assertThat(g.promptLogits()).as("Q8_0 logits differ from the F32 ones").isNotEqualTo(unquantized);
        }
    }

    /**
     * F16 weights (every Linear weight rounded to half at load): decode then runs the F16 GEMV, whose
     * register widening never forms a subnormal float and corrects the zero-exponent columns
     * afterwards. The greedy tokens are the goldens' and the logits stay within
     * {@link #F16_TOLERANCE} of transformers' float32 ones. Measured on these fixtures (2026-12-02;
     * logits up to |11|): all 8 tokens equal in every case, largest |diff| 0.0124 over the prompt
     * logits and 0.0116 over the step logits of the four cases, so 0.02 leaves 1.6x of room.
     */
    @ParameterizedTest
    @MethodSource("q8Cases")
    void f16WeightsKeepTheGreedyTokensWithinAMeasuredTolerance(String modelCase) {
        ConvertedRun run = generateConverted(modelCase, dev.sieve.kernels.WeightType.F16, new Ops(SIMD));
        Llava.Generation g = run.generation();
        assertThat(Arrays.stream(g.newTokens()).asLongStream().toArray()).as("greedy tokens with F16 weights").containsExactly(run.tokens());
        closeAbsolute(g.promptLogits(), run.logits(), F16_TOLERANCE, "F16 logits");
        closeAbsolute(g.stepLogits(), run.stepLogits(), F16_TOLERANCE, "F16 generate.step_logits");
    }

    /**
     * Weights copied into memory at load ({@code mmap} false, the CLI's --no-mmap) are the same bits as
     * the mapped ones, so generation gives the same tokens and bit-identical logits; and the load
     * really copied (the decoder's weights no longer live in the checkpoint's mapping).
     */
    @ParameterizedTest
    @MethodSource("q8Cases")
    void weightsCopiedIntoMemoryGiveTheMappedBits(String modelCase) {
        String[] parts = modelCase.split("/");
        Path modelDir = fixtures().resolve(parts[0]);
        Ops ops = new Ops(SIMD);
        try (Llava mapped = Llava.load(modelDir);
             Llava copied = Llava.load(modelDir, new LoadOptions(null, false, 2, LoadOptions.Progress.NONE));
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(modelDir.resolve("golden_" + parts[1] + ".safetensors"))) {
            assertThat(copied.decoder().layerQuery(0).data().address()).as("copied q_proj lives outside the mapping")
                    .isNotEqualTo(mapped.decoder().layerQuery(0).data().address());
            float[] pixels = golden.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(golden.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            Llava.Generation a = mapped.generate(pixels, ids, 8, ops);
            Llava.Generation b = copied.generate(pixels, ids, 8, ops);
            assertThat(b.newTokens()).containsExactly(a.newTokens());
            assertThat(b.promptLogits()).as("prompt logits, bit for bit").containsExactly(a.promptLogits());
            assertThat(b.stepLogits()).as("step logits, bit for bit").containsExactly(a.stepLogits());
        }
    }

    /** A fixture case generated for 8 tokens with its Linear weights converted to {@code type} at load, beside the case's goldens. */
    record ConvertedRun(Llava.Generation generation, float[] pixels, int[] ids, long[] tokens, float[] logits, float[] stepLogits, int vocab) {}

    static ConvertedRun generateConverted(String modelCase, dev.sieve.kernels.WeightType type, Ops ops) {
        String[] parts = modelCase.split("/");
        Path modelDir = fixtures().resolve(parts[0]);
        try (Llava llava = Llava.load(modelDir, new LoadOptions(type, 2, LoadOptions.Progress.NONE));
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(modelDir.resolve("golden_" + parts[1] + ".safetensors"))) {
            float[] pixels = golden.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(golden.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            return new ConvertedRun(llava.generate(pixels, ids, 8, ops), pixels, ids, golden.tensor("generate.new_tokens").toLongArray(),
                    golden.tensor("logits").toFloatArray(), golden.tensor("generate.step_logits").toFloatArray(), llava.config().text().vocabSize());
        }
    }

    static final double F16_TOLERANCE = 0.02;

    static final double Q8_TOLERANCE = 0.4;

    /**
     * Greedy tokens equal to the goldens' with Q8_0 weights, per case: all 8, except tiny-llava-gqa/c1,
     * whose golden step 4 is a near tie (its top-1 leads by 0.057, measured) that the quantization error flips.
     */
    static final java.util.Map<String, Integer> Q8_SAME_TOKENS = java.util.Map.of("tiny-llava/c0", 8, "tiny-llava/c1", 8,
            "tiny-llava-gqa/c0", 8, "tiny-llava-gqa/c1", 3);

    /** Step {@code step}'s largest logit minus its second largest. */
    static double lead(float[] stepLogits, int step, int vocab) {
        float first = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (int i = step * vocab; i < (step + 1) * vocab; i++) {
            if (stepLogits[i] > first) {
                second = first;
                first = stepLogits[i];
            } else if (stepLogits[i] > second) {
                second = stepLogits[i];
            }
        }
        return first - second;
    }

    static Stream<String> q8Cases() {
        return Stream.of("tiny-llava/c0", "tiny-llava/c1", "tiny-llava-gqa/c0", "tiny-llava-gqa/c1");
    }

    /** |a - b| <= tol elementwise; prints the largest difference and the logits' range. */
    static void closeAbsolute(float[] actual, float[] expected, double tol, String what) {
        assertThat(actual.length).as(what + " length").isEqualTo(expected.length);
        double worst = 0;
        double range = 0;
        for (int i = 0; i < actual.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            worst = Math.max(worst, diff);
            range = Math.max(range, Math.abs(expected[i]));
            if (diff > tol) {
                throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " (diff " + diff + ", tolerance " + tol + ")");
            }
        }
        System.out.printf("%s: max |diff| %.3e over %d values (max |logit| %.2f)%n", what, worst, actual.length, range);
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
