package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Gemm and Gemv against their scalar twin on random shapes: odd sizes, tails, strides, every weight type, 1 and 2 threads. */
class GemmTest {
    private static final Parallel TWO = Parallel.create(2);

    @AfterAll
    static void closePool() {
        TWO.close();
    }

    /** Checks C = A·Wᵀ + b elementwise against the reference with a bound scaled by sum |a||w|. */
    private static void check(Random r, WeightType type, int m, int n, int k, boolean withBias, boolean strided, Parallel parallel) {
        try (Arena arena = Arena.ofShared()) {
            int lda = strided ? k + 3 : k;
            int ldc = strided ? n + 5 : n;
            int wStride = strided && type != WeightType.Q8_0 ? k + 7 : k;
            MemorySegment a = RandomWeights.floats(r, (long) m * lda);
            WeightMatrix w = RandomWeights.weight(r, type, n, k, wStride, arena);
            float[] bias = withBias ? RandomWeights.bias(r, n) : null;
            MemorySegment expected = MemorySegment.ofArray(new float[Math.max(1, m * ldc)]);
            MemorySegment actual = MemorySegment.ofArray(new float[Math.max(1, m * ldc)]);
            GemmReference.matmul(a, m, k, lda, w, bias, expected, ldc);
            Gemm.matmul(a, m, k, lda, w, bias, actual, ldc, parallel);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double magnitude = 0;
                    for (int kk = 0; kk < k; kk++) {
                        magnitude += Math.abs(a.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * lda + kk) * w.get(j, kk));
                    }
                    float e = expected.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * ldc + j);
                    float got = actual.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * ldc + j);
                    double tolerance = 1e-6 * magnitude + 1e-6 * Math.abs(e) + 1e-6;
                    if (Math.abs(e - got) > tolerance) {
                        throw new AssertionError(String.format("%s m=%d n=%d k=%d strided=%s threads=%d: C[%d,%d] = %s, reference %s",
                                type, m, n, k, strided, parallel.threads(), i, j, got, e));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WeightType.class)
    void randomShapesMatchTheReference(WeightType type) {
        Random r = new Random(31 + type.ordinal());
        int[] ms = {1, 2, 3, 4, 5, 17, 31, 32, 33, 70};
        int[] ns = {1, 5, 11, 12, 13, 24, 191, 193, 200};
        int[] ks = {1, 15, 16, 17, 33, 64, 255, 256, 257, 300};
        for (int trial = 0; trial < 40; trial++) {
            int m = ms[r.nextInt(ms.length)];
            int n = ns[r.nextInt(ns.length)];
            int k = ks[r.nextInt(ks.length)];
            check(r, type, m, n, k, r.nextBoolean(), r.nextBoolean(), r.nextBoolean() ? TWO : Parallel.serial());
        }
    }

    @Test
    void blockBoundariesInEveryDimension() {
        Random r = new Random(5);
        // Crosses KC (256), NC (192) and MC (512) blocks with tails in each.
        check(r, WeightType.F32, 545, 397, 531, true, false, TWO);
        check(r, WeightType.BF16, 97, 390, 513, false, true, TWO);
    }

    @Test
    void emptyShapesAreFine() {
        Random r = new Random(1);
        check(r, WeightType.F32, 0, 7, 5, true, false, TWO);
        check(r, WeightType.F32, 6, 7, 0, true, false, TWO);
    }

    @Test
    void mismatchedShapesAreRefused() {
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.weight(new Random(1), WeightType.F32, 4, 8, 8, arena);
            MemorySegment a = MemorySegment.ofArray(new float[2 * 7]);
            MemorySegment c = MemorySegment.ofArray(new float[2 * 4]);
            assertThatThrownBy(() -> Gemm.matmul(a, 2, 7, 7, w, null, c, 4, Parallel.serial()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("7 columns");
            MemorySegment small = MemorySegment.ofArray(new float[3]);
            assertThatThrownBy(() -> Gemm.matmul(MemorySegment.ofArray(new float[16]), 2, 8, 8, w, null, small, 4, Parallel.serial()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output segment too small");
        }
    }

    @Test
    void q8QuantizationIsWithinHalfAStepOfTheOriginal() {
        try (Arena arena = Arena.ofShared()) {
            Random r = new Random(3);
            WeightMatrix f32 = RandomWeights.weight(r, WeightType.F32, 9, 70, 70, arena);
            WeightMatrix q8 = WeightMatrix.quantizeQ8_0(f32, arena);
            for (int i = 0; i < 9; i++) {
                for (int b = 0; b < WeightMatrix.blocksPerRow(70); b++) {
                    float amax = 0;
                    for (int j = b * 32; j < Math.min(70, b * 32 + 32); j++) {
                        amax = Math.max(amax, Math.abs(f32.get(i, j)));
                    }
                    for (int j = b * 32; j < Math.min(70, b * 32 + 32); j++) {
                        assertThat((double) Math.abs(q8.get(i, j) - f32.get(i, j))).isLessThanOrEqualTo(amax / 127 / 2 * 1.0001);
                    }
                }
            }
        }
    }
}
