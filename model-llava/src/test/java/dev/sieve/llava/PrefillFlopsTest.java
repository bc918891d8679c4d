package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.FastV;
import dev.sieve.pruning.FasterVlm;
import dev.sieve.pruning.PyramidDrop;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Tokens per layer and the papers' FLOP formula on the example model (4 layers, d 96, m 192, prompt 10 + 16 image rows). */
class PrefillFlopsTest {
    private static final Path EXAMPLE = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("examples/tiny-llava");

    @Test
    void countsTheTokensEachLayerSawAndTheFormula() {
        try (Llava llava = Llava.load(EXAMPLE); ExecutionContext ctx = ExecutionContext.create(1);
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(EXAMPLE.resolve("golden_c0.safetensors"))) {
            float[] pixels = golden.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(golden.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            int full = llava.unprunedPromptLength(ids);
            assertThat(full).isEqualTo(25);
            Ops ops = new Ops(ctx);

            PrefillFlops none = flops(llava, pixels, ids, dev.sieve.pruning.PrunePlan.NONE, ops, full);
            assertThat(none.tokensPerLayer()).containsExactly(25, 25, 25, 25);
            assertThat(none.llmRatio()).isEqualTo(1.0);
            assertThat(none.llm()).isEqualTo(4 * (4.0 * 25 * 96 * 96 + 2.0 * 25 * 25 * 96 + 2.0 * 25 * 96 * 192));

            PrefillFlops fastv = flops(llava, pixels, ids, dev.sieve.pruning.PrunePlan.of(new FastV(2, 4)), ops, full);
            assertThat(fastv.tokensPerLayer()).containsExactly(25, 25, 13, 13);
            assertThat(fastv.llmRatio()).isBetween(0.5, 1.0);

            PrefillFlops vision = flops(llava, pixels, ids, dev.sieve.pruning.PrunePlan.of(new FasterVlm(8)), ops, full);
            assertThat(vision.tokensPerLayer()).containsExactly(17, 17, 17, 17);
            assertThat(vision.projector()).isEqualTo(2.0 * 8 * (64 * 96 + 96 * 96));

            PrefillFlops pdrop = flops(llava, pixels, ids, dev.sieve.pruning.PrunePlan.of(
                    new PyramidDrop(new int[] {1, 2}, new double[] {0.5, 0.25})), ops, full);
            assertThat(pdrop.tokensPerLayer()).containsExactly(25, 17, 13, 13);
        }
    }

    private static PrefillFlops flops(Llava llava, float[] pixels, int[] ids, dev.sieve.pruning.PrunePlan pruning, Ops ops, int full) {
        Llava.Generation g = llava.generate(pixels, ids, 1, Sampler.greedy(), new int[0], (s, t) -> { }, pruning, ops);
        return PrefillFlops.of(g, llava.config(), full);
    }
}
