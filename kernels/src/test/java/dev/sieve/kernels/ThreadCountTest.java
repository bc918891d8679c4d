package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Results do not depend on how many threads run the kernels. */
class ThreadCountTest {
    /** Work is split over rows, weight-row blocks, heads and tiles, never along a reduction: any thread count gives the same bits. */
    @Test
    void threadCountDoesNotChangeTheResult() {
        Random r = new Random(4);
        int m = 203, k = 301, n = 131, d = 64, h = 6, s = 150;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = RandomWeights.floats(r, (long) m * k);
            MemorySegment q = RandomWeights.floats(r, (long) s * h * d);
            MemorySegment key = RandomWeights.floats(r, (long) s * h * d);
            MemorySegment value = RandomWeights.floats(r, (long) s * h * d);
            Map<String, float[]> first = new LinkedHashMap<>();
            for (int threads : new int[] {1, 2, 3, 4, 7}) {
                try (Parallel parallel = Parallel.create(threads)) {
                    Map<String, float[]> got = new LinkedHashMap<>();
                    for (WeightType type : WeightType.values()) {
                        WeightMatrix w = RandomWeights.weight(new Random(type.ordinal()), type, n, k, k, arena);
                        MemorySegment c = arena.allocate(4L * m * n);
                        Gemm.matmul(a, m, k, k, w, null, c, n, parallel);
                        got.put("gemm " + type, c.toArray(ValueLayout.JAVA_FLOAT));
                        MemorySegment y = arena.allocate(4L * n);
                        Gemv.matvec(a, k, w, null, y, parallel);
                        got.put("gemv " + type, y.toArray(ValueLayout.JAVA_FLOAT));
                    }
                    MemorySegment out = arena.allocate(4L * s * h * d);
                    Attention.attend(q, h * d, key, h * d, value, h * d, out, h * d, s, s, h, h, d, 0.125f, true, parallel);
                    got.put("attention", out.toArray(ValueLayout.JAVA_FLOAT));
                    for (var e : got.entrySet()) {
                        float[] want = first.putIfAbsent(e.getKey(), e.getValue());
                        if (want != null) {
                            assertThat(e.getValue()).as("%s with %s threads vs 1", e.getKey(), threads).containsExactly(want);
                        }
                    }
                }
            }
        }
    }
}
