package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import org.junit.jupiter.api.Test;

/** Results do not depend on how many threads run the kernels. */
class ThreadCountTest {
    /** Work is split by rows, heads and tiles, never along a reduction, so the thread count cannot change a sum. */
    @Test
    void threadCountDoesNotChangeTheResult() {
        TinyExample in = TinyExample.golden();
        try (Llava llava = Llava.load(TinyExample.DIR)) {
            float[] reference = null;
            for (int threads : new int[] {1, 2, 3, 5}) {
                try (ExecutionContext ctx = ExecutionContext.create(threads)) {
                    float[] logits = llava.generate(in.pixels(), in.ids(), 3, new Ops(ctx)).promptLogits();
                    if (reference == null) {
                        reference = logits;
                    } else {
                        assertThat(logits).as("%s threads vs 1", threads).containsExactly(reference);
                    }
                }
            }
        }
    }
}
