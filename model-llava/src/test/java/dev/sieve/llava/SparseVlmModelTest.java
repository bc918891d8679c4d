package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.SparseVlm;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** SparseVLM in the loop on the committed tiny model: stage bookkeeping, recycled tokens, shorter layers, FLOPs. */
class SparseVlmModelTest {
    private static final Path EXAMPLE = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("examples/tiny-llava");

    @Test
    void prunesAfterEachLayerRecyclesMergesAndCountsTokensPerLayer() {
        try (Llava llava = Llava.load(EXAMPLE); ExecutionContext ctx = ExecutionContext.create(2);
             SafetensorsCheckpoint g = SafetensorsCheckpoint.open(EXAMPLE.resolve("golden_c0.safetensors"))) {
            float[] pixels = g.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(g.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();  // 9 text + 16 image rows
            SparseVlm sv = new SparseVlm(new int[] {0, 1}, new int[] {8, 3});
            dev.sieve.pruning.PrunePlan plan = dev.sieve.pruning.PrunePlan.of(sv);
            Llava.Generation run = llava.generate(pixels, ids, 3, Sampler.greedy(), new int[0], (s, t) -> { }, plan, new Ops(ctx));
            java.util.List<dev.sieve.pruning.pipeline.StageResult.Cut> cuts = run.stages().get(0).cuts();
            assertThat(cuts).hasSize(2);
            dev.sieve.pruning.pipeline.StageResult.Cut first = cuts.get(0);
            // 16 candidates, 8 kept, int(8 * 0.3) + 1 = 3 recycled into int(3/10) + 1 = 1 merged token, inserted after the kept ones.
            assertThat(first.candidates()).containsExactly(java.util.stream.IntStream.range(0, 16).toArray());
            assertThat(first.after()).hasSize(9).endsWith(dev.sieve.pruning.pipeline.SequenceView.MERGED);
            assertThat(Arrays.copyOf(first.after(), 8)).isSorted();
            assertThat(Arrays.stream(first.after(), 0, 8).allMatch(i -> i >= 0 && i < 16)).isTrue();
            assertThat(first.merged()).isEqualTo(1);
            dev.sieve.pruning.pipeline.StageResult.Cut second = cuts.get(1);
            assertThat(second.candidates()).containsExactly(first.after());
            // 9 candidates (the merged one competes), 3 kept, int(6 * 0.3) + 1 = 2 recycled into one more merged token.
            assertThat(second.after()).hasSize(4).endsWith(dev.sieve.pruning.pipeline.SequenceView.MERGED);
            assertThat(run.promptLength()).isEqualTo(9 + 4);
            assertThat(run.visualTokensKept()).isEqualTo(4);
            PrefillFlops flops = PrefillFlops.of(run, llava.config(), 25);
            assertThat(flops.tokensPerLayer()).containsExactly(25, 9 + 9, 13, 13);
            // kept() lists only original tokens.
            assertThat(run.stages().get(0).kept()).hasSize(second.after().length - second.merged()).isSorted();
            assertThat(run.newTokens()).hasSize(3);
            for (float v : run.promptLogits()) {
                assertThat(Float.isFinite(v)).isTrue();
            }
        }
    }
}
