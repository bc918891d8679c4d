package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.F32;

import java.lang.foreign.MemorySegment;

/** Scalar twins of {@link Elementwise}. */
public final class ElementwiseReference {
    private ElementwiseReference() {
    }

    public static void add(MemorySegment a, MemorySegment b, MemorySegment out, int n) {
        for (int i = 0; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(F32, off, a.get(F32, off) + b.get(F32, off));
        }
    }

    public static void mul(MemorySegment a, MemorySegment b, MemorySegment out, int n) {
        for (int i = 0; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(F32, off, a.get(F32, off) * b.get(F32, off));
        }
    }

    public static void scale(MemorySegment x, float s, MemorySegment out, int n) {
        for (int i = 0; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(F32, off, x.get(F32, off) * s);
        }
    }

    public static void addBias(MemorySegment x, int rows, int dim, long stride, float[] bias) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < dim; c++) {
                long off = ((long) r * stride + c) * Float.BYTES;
                x.set(F32, off, x.get(F32, off) + bias[c]);
            }
        }
    }
}
