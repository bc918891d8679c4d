package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.FastV;
import dev.sieve.pruning.Ivtp;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * IVTP has no reference code, so no golden exists; checked on the example model: with text after
 * the image it keeps the budget and its scores are an averaged attention mass (between 0 and 1),
 * and with the image last in the prompt it ranks by the last token alone and so equals FastV
 * exactly (kept tokens and generated tokens).
 */
class IvtpTest {
    private static final Path EXAMPLE = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("examples/tiny-llava");

    @Test
    void rankingIsTheInstructionRowsMeanAttentionAndEqualsFastVWhenOnlyTheLastTokenFollows() {
        try (Llava llava = Llava.load(EXAMPLE); ExecutionContext ctx = ExecutionContext.create(2);
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(EXAMPLE.resolve("golden_c0.safetensors"))) {
            float[] pixels = golden.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(golden.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray(); // image at 3 of 10
            Ops ops = new Ops(ctx);
            Llava.Generation ivtp = llava.generate(pixels, ids, 2, Sampler.greedy(), new int[0], (s, t) -> { },
                    dev.sieve.pruning.PrunePlan.of(new Ivtp(2, 4)), ops);
            assertThat(ivtp.stages().get(0).kept()).hasSize(4).isSorted();
            assertThat(ivtp.promptLength()).isEqualTo(10 - 1 + 4);
            double sum = 0;
            for (float v : ivtp.stages().get(0).cuts().get(0).scores()) {
                sum += v;
            }
            assertThat(sum).as("mean attention mass on the image").isBetween(0.0, 1.0);

            int[] imageLast = {1, 11, 23, 29, 299}; // the image is followed by nothing: IVTP falls back to the last token
            Llava.Generation i2 = llava.generate(pixels, imageLast, 2, Sampler.greedy(), new int[0], (s, t) -> { },
                    dev.sieve.pruning.PrunePlan.of(new Ivtp(2, 5)), ops);
            Llava.Generation f2 = llava.generate(pixels, imageLast, 2, Sampler.greedy(), new int[0], (s, t) -> { },
                    dev.sieve.pruning.PrunePlan.of(new FastV(2, 5)), ops);
            assertThat(i2.stages().get(0).kept()).containsExactly(f2.stages().get(0).kept());
            assertThat(i2.newTokens()).containsExactly(f2.newTokens());
        }
    }

    @Test
    void multiLayerFusionIsTheWeightedMeanOfEachLayersRanking() {
        try (Llava llava = Llava.load(EXAMPLE); ExecutionContext ctx = ExecutionContext.create(2);
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(EXAMPLE.resolve("golden_c0.safetensors"))) {
            float[] pixels = golden.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(golden.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            Ops ops = new Ops(ctx);
            float[] layer0 = run(llava, pixels, ids, new Ivtp(1, 6), ops).stages().get(0).cuts().get(0).scores();
            float[] layer1 = run(llava, pixels, ids, new Ivtp(2, 6), ops).stages().get(0).cuts().get(0).scores();
            Llava.Generation fused = run(llava, pixels, ids, new Ivtp(3, 6, new int[] {0, 1}, new double[] {1, 3}), ops);
            for (int j = 0; j < layer0.length; j++) {
                assertThat(fused.stages().get(0).cuts().get(0).scores()[j]).isCloseTo(0.25f * layer0[j] + 0.75f * layer1[j], org.assertj.core.data.Offset.offset(1e-6f));
            }
            // Zero weight on layer 0: the ranking of layer 1 alone, whatever K is.
            Llava.Generation only1 = run(llava, pixels, ids, new Ivtp(3, 6, new int[] {0, 1}, new double[] {0, 1}), ops);
            assertThat(only1.stages().get(0).kept()).containsExactly(run(llava, pixels, ids, new Ivtp(2, 6), ops).stages().get(0).kept());
            // One score layer at K-1 is the paper's default rule, bit for bit.
            Llava.Generation single = run(llava, pixels, ids, new Ivtp(3, 6, new int[] {2}, new double[] {5}), ops);
            assertThat(single.promptLogits()).containsExactly(run(llava, pixels, ids, new Ivtp(3, 6), ops).promptLogits());
        }
    }

    @Test
    void twoStageScheduleCutsAgainAmongTheFirstCutsTokensAndCountsTokensPerLayer() {
        try (Llava llava = Llava.load(EXAMPLE); ExecutionContext ctx = ExecutionContext.create(2)) {
            TinyExample in = TinyExample.golden();
            Ops ops = new Ops(ctx);
            Ivtp twoStage = new Ivtp(1, 8, new int[] {0}, new double[] {1}, 2, 3);
            Llava.Generation g = run(llava, in.pixels(), in.ids(), twoStage, ops);
            Llava.Generation firstOnly = run(llava, in.pixels(), in.ids(), new Ivtp(1, 8), ops);
            assertThat(g.stages().get(0).cuts().get(0).kept()).containsExactly(firstOnly.stages().get(0).kept());
            assertThat(g.stages().get(0).kept()).hasSize(3).isSorted();
            assertThat(Arrays.stream(firstOnly.stages().get(0).kept()).boxed().toList())
                    .containsAll(Arrays.stream(g.stages().get(0).kept()).boxed().toList());
            assertThat(g.promptLength()).isEqualTo(9 + 3);
            // Original ids throughout: text 0..2, kept image tokens at 3 + index, text after at 19..24.
            int[] kept = g.stages().get(0).kept();
            int[] expected = new int[12];
            for (int i = 0; i < 12; i++) {
                expected[i] = i < 3 ? i : i < 6 ? 3 + kept[i - 3] : i - 3 + 16;
            }
            assertThat(g.lastLayerPositions()).containsExactly(expected);
            assertThat(g.stages()).hasSize(1);
            assertThat(g.stages().get(0).cuts()).extracting(c -> c.hook().toString()).containsExactly("after LLM layer 0", "after LLM layer 1");
            PrefillFlops flops = PrefillFlops.of(g, llava.config(), 25);
            assertThat(flops.tokensPerLayer()).containsExactly(25, 17, 12, 12);
            // keep2 = keep: the second cut keeps everything, so the run equals the single cut (up to the float
            // summation order of the extra probed segment).
            Llava.Generation same = run(llava, in.pixels(), in.ids(), new Ivtp(1, 8, new int[] {0}, new double[] {1}, 2, 8), ops);
            assertThat(same.newTokens()).containsExactly(firstOnly.newTokens());
            LlavaGoldenTest.close(same.promptLogits(), firstOnly.promptLogits(), 1e-5, "logits, keep2 = keep vs single cut");
        }
    }

    private static Llava.Generation run(Llava llava, float[] pixels, int[] ids, Ivtp method, Ops ops) {
        return llava.generate(pixels, ids, 2, Sampler.greedy(), new int[0], (s, t) -> { }, dev.sieve.pruning.PrunePlan.of(method), ops);
    }
}
