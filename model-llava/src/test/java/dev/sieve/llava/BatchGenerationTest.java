package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.FastV;
import dev.sieve.pruning.PyramidDrop;
import dev.sieve.pruning.VisPruner;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A batch decodes together yet every sample equals its own run, each with its own pruning and prompt length. */
class BatchGenerationTest {
    private static final Path EXAMPLE = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("examples/tiny-llava");

    @Test
    void everySampleOfABatchEqualsItsOwnRun() {
        try (Llava llava = Llava.load(EXAMPLE); ExecutionContext ctx = ExecutionContext.create(2);
             SafetensorsCheckpoint g = SafetensorsCheckpoint.open(EXAMPLE.resolve("golden_c0.safetensors"))) {
            float[] pixels = g.tensor("pixel_values").toFloatArray();
            float[] other = pixels.clone();
            for (int i = 0; i < other.length; i++) {
                other[i] = -0.5f * other[i] + 0.1f;
            }
            int[] ids = Arrays.stream(g.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            int[] shorter = {1, 11, 299, 23, 29};
            Ops ops = new Ops(ctx);
            List<Llava.Request> requests = List.of(
                    new Llava.Request(pixels, ids, dev.sieve.pruning.PrunePlan.NONE, Sampler.greedy()),
                    new Llava.Request(other, ids, dev.sieve.pruning.PrunePlan.of(new FastV(2, 4)), Sampler.greedy()),
                    new Llava.Request(pixels, shorter, dev.sieve.pruning.PrunePlan.of(new VisPruner(6, 0.5)), Sampler.greedy()),
                    new Llava.Request(other, shorter, dev.sieve.pruning.PrunePlan.of(new PyramidDrop(new int[] {1, 2}, new double[] {0.5, 0.25})),
                            new Sampler(1.0f, 0.9f, 5)));
            int[] stop = {50};
            List<Llava.Generation> batch = llava.generateBatch(requests, 6, stop, ops);
            List<Integer> lengths = new ArrayList<>();
            for (int b = 0; b < requests.size(); b++) {
                Llava.Request r = requests.get(b);
                Sampler fresh = b == 3 ? new Sampler(1.0f, 0.9f, 5) : Sampler.greedy();
                Llava.Generation alone = llava.generate(r.pixels(), r.ids(), 6, fresh, stop, (s, t) -> { }, r.plan(), ops);
                Llava.Generation together = batch.get(b);
                // Same code path, but not always bit-for-bit: in one full test run the batch's (colder)
                // prefill differed from the later one in the last bits (at most 8.3e-6 on logits of ~3),
                // most likely float lane reductions ordered differently before and after JIT compilation.
                LlavaGoldenTest.close(together.promptLogits(), alone.promptLogits(), 1e-5, "sample " + b + " prompt logits");
                assertThat(together.newTokens()).as("sample %d tokens", b).containsExactly(alone.newTokens());
                LlavaGoldenTest.close(together.stepLogits(), alone.stepLogits(), 1e-4, "sample " + b + " step logits");
                lengths.add(together.promptLength());
            }
            assertThat(lengths).doesNotHaveDuplicates();
        }
    }

    /** A sequence from start() runs lm_head on the last prompt row only; that row's logits and the tokens match generate()'s. */
    @Test
    void aStartedSequenceKeepsOnlyTheLastPromptRowAndMatchesGenerate() {
        try (Llava llava = Llava.load(EXAMPLE); ExecutionContext ctx = ExecutionContext.create(2);
             SafetensorsCheckpoint g = SafetensorsCheckpoint.open(EXAMPLE.resolve("golden_c0.safetensors"))) {
            float[] pixels = g.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(g.tensor("input_ids").toLongArray()).mapToInt(v -> (int) v).toArray();
            Ops ops = new Ops(ctx);
            int vocab = llava.config().text().vocabSize();
            Llava.Generation full = llava.generate(pixels, ids, 4, ops);
            Llava.Generation started;
            try (Sequence seq = llava.start(new Llava.Request(pixels, ids, dev.sieve.pruning.PrunePlan.NONE, Sampler.greedy()), 4, ops)) {
                seq.choose();
                while (!seq.full()) {
                    Sequence.step(List.of(seq), ops);
                    seq.choose();
                }
                started = seq.generation();
            }
            assertThat(started.promptLength()).isEqualTo(full.promptLength());
            assertThat(started.promptLogits()).hasSize(vocab);
            // One row goes through the GEMV kernel, a whole prompt through the GEMM: equal up to float rounding.
            LlavaGoldenTest.close(started.promptLogits(),
                    Arrays.copyOfRange(full.promptLogits(), (full.promptLength() - 1) * vocab, full.promptLength() * vocab), 1e-5,
                    "last prompt row's logits");
            assertThat(started.newTokens()).containsExactly(full.newTokens());
        }
    }
}
