package dev.sieve.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM register tile for 16 vector registers (AVX2): 6 weight rows x 2L activation rows (two
 * {@link Simd#L}-float vectors), 12 accumulators, so that they, the two activation vectors and the
 * broadcast weight fit in the 16 registers; {@link GemmMicroKernel}'s 12 x 2 tile would spill half its
 * accumulators there. Same contract and layout as {@link GemmMicroKernel#run}, written out by hand for
 * the same reason (the JIT keeps accumulators in registers only as plain locals).
 */
final class GemmMicroKernel6 {
    static final int MR = 6;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;
    private static final int NR = 2 * L;

    private GemmMicroKernel6() {}

    /** ct[ctOff + r*ctStride + j] (+)= sum_k wc[wOff + r*kc + k] * ap[apOff + k*NR + j] for r < 6, j < NR. */
    static void run(float[] wc, int wOff, int kc, float[] ap, int apOff, float[] ct, int ctOff, int ctStride, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int w0 = wOff + 0 * kc;
        int w1 = wOff + 1 * kc;
        int w2 = wOff + 2 * kc;
        int w3 = wOff + 3 * kc;
        int w4 = wOff + 4 * kc;
        int w5 = wOff + 5 * kc;
        for (int k = 0; k < kc; k++) {
            int a = apOff + k * NR;
            FloatVector a0 = FloatVector.fromArray(F, ap, a);
            FloatVector a1 = FloatVector.fromArray(F, ap, a + L);
            FloatVector w;
            w = FloatVector.broadcast(F, wc[w0 + k]);
            c00 = w.fma(a0, c00);
            c01 = w.fma(a1, c01);
            w = FloatVector.broadcast(F, wc[w1 + k]);
            c10 = w.fma(a0, c10);
            c11 = w.fma(a1, c11);
            w = FloatVector.broadcast(F, wc[w2 + k]);
            c20 = w.fma(a0, c20);
            c21 = w.fma(a1, c21);
            w = FloatVector.broadcast(F, wc[w3 + k]);
            c30 = w.fma(a0, c30);
            c31 = w.fma(a1, c31);
            w = FloatVector.broadcast(F, wc[w4 + k]);
            c40 = w.fma(a0, c40);
            c41 = w.fma(a1, c41);
            w = FloatVector.broadcast(F, wc[w5 + k]);
            c50 = w.fma(a0, c50);
            c51 = w.fma(a1, c51);
        }
        int o0 = ctOff + 0 * ctStride;
        if (first) { c00.intoArray(ct, o0); c01.intoArray(ct, o0 + L); }
        else { c00.add(FloatVector.fromArray(F, ct, o0)).intoArray(ct, o0); c01.add(FloatVector.fromArray(F, ct, o0 + L)).intoArray(ct, o0 + L); }
        int o1 = ctOff + 1 * ctStride;
        if (first) { c10.intoArray(ct, o1); c11.intoArray(ct, o1 + L); }
        else { c10.add(FloatVector.fromArray(F, ct, o1)).intoArray(ct, o1); c11.add(FloatVector.fromArray(F, ct, o1 + L)).intoArray(ct, o1 + L); }
        int o2 = ctOff + 2 * ctStride;
        if (first) { c20.intoArray(ct, o2); c21.intoArray(ct, o2 + L); }
        else { c20.add(FloatVector.fromArray(F, ct, o2)).intoArray(ct, o2); c21.add(FloatVector.fromArray(F, ct, o2 + L)).intoArray(ct, o2 + L); }
        int o3 = ctOff + 3 * ctStride;
        if (first) { c30.intoArray(ct, o3); c31.intoArray(ct, o3 + L); }
        else { c30.add(FloatVector.fromArray(F, ct, o3)).intoArray(ct, o3); c31.add(FloatVector.fromArray(F, ct, o3 + L)).intoArray(ct, o3 + L); }
        int o4 = ctOff + 4 * ctStride;
        if (first) { c40.intoArray(ct, o4); c41.intoArray(ct, o4 + L); }
        else { c40.add(FloatVector.fromArray(F, ct, o4)).intoArray(ct, o4); c41.add(FloatVector.fromArray(F, ct, o4 + L)).intoArray(ct, o4 + L); }
        int o5 = ctOff + 5 * ctStride;
        if (first) { c50.intoArray(ct, o5); c51.intoArray(ct, o5 + L); }
        else { c50.add(FloatVector.fromArray(F, ct, o5)).intoArray(ct, o5); c51.add(FloatVector.fromArray(F, ct, o5 + L)).intoArray(ct, o5 + L); }
    }
}
