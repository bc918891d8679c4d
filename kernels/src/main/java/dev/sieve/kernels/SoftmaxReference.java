package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.F32;

import java.lang.foreign.MemorySegment;

/** Scalar twin of {@link Softmax}, in double. */
public final class SoftmaxReference {
    private SoftmaxReference() {
    }

    public static void softmax(MemorySegment x, int rows, int n, long stride) {
        for (int r = 0; r < rows; r++) {
            long base = (long) r * stride * Float.BYTES;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x.get(F32, base + (long) i * Float.BYTES));
            }
            double sum = 0;
            double[] e = new double[n];
            for (int i = 0; i < n; i++) {
                e[i] = Math.exp(x.get(F32, base + (long) i * Float.BYTES) - max);
                sum += e[i];
            }
            for (int i = 0; i < n; i++) {
                x.set(F32, base + (long) i * Float.BYTES, (float) (e[i] / sum));
            }
        }
    }
}
