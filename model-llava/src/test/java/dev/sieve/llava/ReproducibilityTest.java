package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.pruning.FastV;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import org.junit.jupiter.api.Test;

/**
 * The same prompt gives the same logits, bit for bit, on every call of a long-lived model: while
 * the JIT moves the kernels from interpreter to C1 to C2, and whichever worker thread picks up
 * which task. Kernels once used VectorOperators.EXP and reduceLanes(ADD), whose last bits change
 * once C2 compiles the caller; this failed at call 32 then (see {@link dev.sieve.kernels.Exp} and
 * {@link dev.sieve.kernels.Lanes}). Runs in a fresh JVM (the parent POM's cold-jvm-reproducibility
 * execution) so that the first call really is cold.
 */
class ReproducibilityTest {
    private static final int CALLS = 60;

    @Test
    void repeatedGenerationGivesIdenticalLogitsAndTokens() {
        TinyExample in = TinyExample.golden();
        try (Llava llava = Llava.load(TinyExample.DIR); ExecutionContext ctx = ExecutionContext.create(3)) {
            Ops ops = new Ops(ctx);
            for (dev.sieve.pruning.PrunePlan pruning : new dev.sieve.pruning.PrunePlan[] {dev.sieve.pruning.PrunePlan.NONE, dev.sieve.pruning.PrunePlan.of(new FastV(1, 5))}) {
                Llava.Generation first = generate(llava, in, pruning, ops);
                for (int call = 1; call < CALLS; call++) {
                    Llava.Generation again = generate(llava, in, pruning, ops);
                    assertThat(again.promptLogits()).as("%s, call %s", pruning, call).containsExactly(first.promptLogits());
                    assertThat(again.newTokens()).as("%s, call %s", pruning, call).containsExactly(first.newTokens());
                }
            }
        }
    }

    private static Llava.Generation generate(Llava llava, TinyExample in, dev.sieve.pruning.PrunePlan pruning, Ops ops) {
        return llava.generate(in.pixels(), in.ids(), 3, Sampler.greedy(), new int[0], (s, t) -> { }, pruning, ops);
    }
}
