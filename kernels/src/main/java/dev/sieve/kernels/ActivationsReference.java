package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.F32;

import java.lang.foreign.MemorySegment;

/** Scalar twins of {@link Activations}, straight from the definitions, evaluated in double. */
public final class ActivationsReference {
    private ActivationsReference() {
    }

    public static void silu(MemorySegment in, MemorySegment out, int n) {
        for (int i = 0; i < n; i++) {
            long off = (long) i * Float.BYTES;
            double x = in.get(F32, off);
            out.set(F32, off, (float) (x / (1 + Math.exp(-x))));
        }
    }

    public static void quickGelu(MemorySegment in, MemorySegment out, int n) {
        for (int i = 0; i < n; i++) {
            long off = (long) i * Float.BYTES;
            double x = in.get(F32, off);
            out.set(F32, off, (float) (x / (1 + Math.exp(-1.702 * x))));
        }
    }

    public static void swiglu(MemorySegment gate, MemorySegment up, MemorySegment out, int n) {
        for (int i = 0; i < n; i++) {
            long off = (long) i * Float.BYTES;
            double g = gate.get(F32, off);
            double u = up.get(F32, off);
            out.set(F32, off, (float) (g / (1 + Math.exp(-g)) * u));
        }
    }

    public static void geluErf(MemorySegment in, MemorySegment out, int n) {
        for (int i = 0; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(F32, off, geluErf(in.get(F32, off)));
        }
    }

    /** {@code 0.5 x (1 + erf(x / sqrt 2))} in double, rounded once to float. */
    public static float geluErf(float x) {
        double xd = x;
        return (float) (0.5 * xd * (1 + Erf.erf(xd / Math.sqrt(2))));
    }
}
