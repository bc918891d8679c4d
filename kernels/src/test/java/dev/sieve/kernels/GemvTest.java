package dev.sieve.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GemvTest {
    @ParameterizedTest
    @EnumSource(WeightType.class)
    void randomShapesMatchTheReference(WeightType type) {
        Random r = new Random(77 + type.ordinal());
        int[] ks = {1, 15, 16, 31, 32, 33, 63, 64, 65, 127, 200, 1000};
        int[] ns = {1, 2, 31, 32, 33, 100};
        try (Arena arena = Arena.ofShared(); Parallel two = Parallel.create(2)) {
            for (int trial = 0; trial < 40; trial++) {
                int k = ks[r.nextInt(ks.length)];
                int n = ns[r.nextInt(ns.length)];
                int stride = type == WeightType.Q8_0 || r.nextBoolean() ? k : k + 9;
                WeightMatrix w = RandomWeights.weight(r, type, n, k, stride, arena);
                MemorySegment x = RandomWeights.floats(r, k);
                float[] bias = r.nextBoolean() ? RandomWeights.bias(r, n) : null;
                MemorySegment expected = MemorySegment.ofArray(new float[n]);
                MemorySegment actual = MemorySegment.ofArray(new float[n]);
                GemmReference.matmul(x, 1, k, k, w, bias, expected, n);
                Gemv.matvec(x, k, w, bias, actual, r.nextBoolean() ? two : Parallel.serial());
                for (int j = 0; j < n; j++) {
                    double magnitude = 0;
                    for (int kk = 0; kk < k; kk++) {
                        magnitude += Math.abs(x.getAtIndex(ValueLayout.JAVA_FLOAT, kk) * w.get(j, kk));
                    }
                    float e = expected.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                    float got = actual.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                    if (Math.abs(e - got) > 1e-6 * magnitude + 1e-6 * Math.abs(e) + 1e-6) {
                        throw new AssertionError(type + " n=" + n + " k=" + k + " stride=" + stride + ": y[" + j + "] = " + got + ", reference " + e);
                    }
                }
            }
        }
    }
}
