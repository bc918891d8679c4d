package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every kernel returns the same bits for the same input on every call, while the JIT moves it from
 * interpreter to C1 to C2 (including on-stack replacement) and whichever worker takes which task.
 * Before {@link Exp} and {@link Lanes}, softmax, GEMV, both norms and attention changed their last
 * bits within the first 1,200 calls (VectorOperators.EXP and reduceLanes(ADD) are tier-dependent).
 * Odd sizes so that vector tails are exercised too. The calls also cross the exp kernels' switch
 * from their scalar to their vector form ({@link ColdStart}; tests set it at 200,000 elements).
 */
class ReproducibilityTest {
    private static final int CALLS = 2000;

    @Test
    void everyKernelGivesTheSameBitsOnEveryCall() {
        Random r = new Random(3);
        int m = 37, k = 67, n = 45, d = 16, h = 4, s = 20;
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.create(3)) {
            MemorySegment a = RandomWeights.floats(r, (long) m * k);
            float[] bias = RandomWeights.bias(r, n);
            float[] gain = RandomWeights.bias(r, k);
            MemorySegment q = RandomWeights.floats(r, (long) s * h * d);
            MemorySegment key = RandomWeights.floats(r, (long) s * h * d);
            MemorySegment value = RandomWeights.floats(r, (long) s * h * d);
            Map<String, Function<MemorySegment, MemorySegment>> kernels = new LinkedHashMap<>();
            for (WeightType type : WeightType.values()) {
                WeightMatrix w = RandomWeights.weight(r, type, n, k, k, arena);
                kernels.put("gemm " + type, c -> {
                    Gemm.matmul(a, m, k, k, w, bias, c, n, parallel);
                    return c.asSlice(0, 4L * m * n);
                });
                kernels.put("gemv " + type, c -> {
                    Gemv.matvec(a, k, w, bias, c, parallel);
                    return c.asSlice(0, 4L * n);
                });
            }
            kernels.put("layerNorm", c -> {
                Norms.layerNorm(parallel, a, m, k, k, gain, gain, 1e-5f, c, k);
                return c;
            });
            kernels.put("rmsNorm", c -> {
                Norms.rmsNorm(parallel, a, m, k, k, gain, 1e-5f, c, k);
                return c;
            });
            kernels.put("softmax", c -> {
                c.copyFrom(a);
                Softmax.softmax(parallel, c, m, k, k);
                return c;
            });
            kernels.put("attention prefill", c -> {
                Attention.attend(q, h * d, key, h * d, value, h * d, c, h * d, s, s, h, h, d, 0.25f, true, parallel);
                return c.asSlice(0, 4L * s * h * d);
            });
            kernels.put("attention decode", c -> {
                Attention.attend(q, h * d, key, h * d, value, h * d, c, h * d, 1, s, h, h, d, 0.25f, true, parallel);
                return c.asSlice(0, 4L * h * d);
            });
            kernels.put("silu", c -> {
                Activations.silu(a, c, m * k);
                return c;
            });
            kernels.put("quickGelu", c -> {
                Activations.quickGelu(a, c, m * k);
                return c;
            });
            kernels.put("geluErf", c -> {
                Activations.geluErf(a, c, m * k);
                return c;
            });
            MemorySegment out = arena.allocate(4L * m * k);
            Map<String, float[]> first = new LinkedHashMap<>();
            for (int call = 0; call < CALLS; call++) {
                for (var kernel : kernels.entrySet()) {
                    out.fill((byte) 0);
                    float[] got = kernel.getValue().apply(out).toArray(ValueLayout.JAVA_FLOAT);
                    float[] want = first.putIfAbsent(kernel.getKey(), got);
                    if (want != null && !java.util.Arrays.equals(got, want)) {
                        assertThat(got).as("%s, call %s", kernel.getKey(), call).containsExactly(want);
                    }
                }
            }
        }
    }
}
