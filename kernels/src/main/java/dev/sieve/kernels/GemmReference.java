package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Scalar twin of {@link Gemm} and {@link Gemv}: the plain triple loop, accumulating in double. */
public final class GemmReference {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GemmReference() {}

    public static void matmul(MemorySegment a, int m, int k, long lda, WeightMatrix w, float[] bias, MemorySegment c, long ldc) {
        checkArguments(a, m, k, lda, w, bias, c, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < w.rows(); j++) {
                double sum = bias == null ? 0 : bias[j];
                for (int kk = 0; kk < k; kk++) {
                    sum += (double) a.get(F32, (i * lda + kk) * 4) * w.get(j, kk);
                }
                c.set(F32, (i * ldc + j) * 4, (float) sum);
            }
        }
    }

    static void checkArguments(MemorySegment a, int m, int k, long lda, WeightMatrix w, float[] bias, MemorySegment c, long ldc) {
        int n = w.rows();
        if (w.cols() != k) {
            throw new IllegalArgumentException("activations have " + k + " columns but the weight is " + n + "x" + w.cols());
        }
        if (m < 0 || k < 0 || lda < k || ldc < n) {
            throw new IllegalArgumentException("bad GEMM geometry m=" + m + " k=" + k + " lda=" + lda + " n=" + n + " ldc=" + ldc);
        }
        if (m > 0 && a.byteSize() < ((m - 1) * lda + k) * 4) {
            throw new IllegalArgumentException("activations segment too small for " + m + "x" + k + " (lda " + lda + ")");
        }
        if (m > 0 && c.byteSize() < ((m - 1) * ldc + n) * 4) {
            throw new IllegalArgumentException("output segment too small for " + m + "x" + n + " (ldc " + ldc + ")");
        }
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("bias has " + bias.length + " entries, weight has " + n + " rows");
        }
    }
}
