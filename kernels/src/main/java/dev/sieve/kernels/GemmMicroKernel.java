package dev.sieve.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM register tile for 32 vector registers (AVX-512): 12 weight rows x 32 activation rows
 * (two 16-float vectors), 24 accumulators. With 8-lane vectors ({@link Simd#L}, AVX2 and its 16
 * registers) the tile is {@link GemmMicroKernel6}'s 6 x 16 instead; {@link #MR} and {@link #NR}
 * give the one in use. Each C element's sum runs over k in the same order in both. For each k
 * it loads two vectors of packed activations and broadcasts one weight per row straight from the
 * row-major weight block (no transposition of the weights is needed).
 * The loop is written out by hand because the JIT only keeps accumulators in registers when
 * they are plain locals. Generated layout, kept readable: row r uses wc[w_r + k].
 *
 * <p>Measured choices (see docs/BENCHMARKS.md): 12 rows rather than 14, because with 14 C1 runs
 * out of registers and the method depends on C2 alone, for no measurable gain; heap arrays rather
 * than native segments, because segment accesses in this loop compiled to code 2-3x slower.
 */
final class GemmMicroKernel {
    /** 12 x 32 with 16-lane vectors; 6 x 16 with 8-lane ones (12 accumulators, 2 activation vectors and a broadcast in 16 registers). */
    static final boolean WIDE = Simd.L == 16;
    static final int MR = WIDE ? 12 : GemmMicroKernel6.MR;
    static final int NR = 2 * Simd.L;
    private static final VectorSpecies<Float> F = Simd.F;

    private GemmMicroKernel() {}

    /**
     * ct[ctOff + r*ctStride + j] (+)= sum_k wc[wOff + r*kc + k] * ap[apOff + k*NR + j] for r < MR, j < NR.
     *
     * @param first store instead of accumulate (first K block)
     */
    static void run(float[] wc, int wOff, int kc, float[] ap, int apOff, float[] ct, int ctOff, int ctStride, boolean first) {
        if (WIDE) {
            run12(wc, wOff, kc, ap, apOff, ct, ctOff, ctStride, first);
        } else {
            GemmMicroKernel6.run(wc, wOff, kc, ap, apOff, ct, ctOff, ctStride, first);
        }
    }

    private static void run12(float[] wc, int wOff, int kc, float[] ap, int apOff, float[] ct, int ctOff, int ctStride, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        FloatVector c100 = FloatVector.zero(F), c101 = FloatVector.zero(F);
        FloatVector c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        int w0 = wOff + 0 * kc;
        int w1 = wOff + 1 * kc;
        int w2 = wOff + 2 * kc;
        int w3 = wOff + 3 * kc;
        int w4 = wOff + 4 * kc;
        int w5 = wOff + 5 * kc;
        int w6 = wOff + 6 * kc;
        int w7 = wOff + 7 * kc;
        int w8 = wOff + 8 * kc;
        int w9 = wOff + 9 * kc;
        int w10 = wOff + 10 * kc;
        int w11 = wOff + 11 * kc;
        for (int k = 0; k < kc; k++) {
            int a = apOff + k * NR;
            FloatVector a0 = FloatVector.fromArray(F, ap, a);
            FloatVector a1 = FloatVector.fromArray(F, ap, a + 16);
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
            w = FloatVector.broadcast(F, wc[w6 + k]);
            c60 = w.fma(a0, c60);
            c61 = w.fma(a1, c61);
            w = FloatVector.broadcast(F, wc[w7 + k]);
            c70 = w.fma(a0, c70);
            c71 = w.fma(a1, c71);
            w = FloatVector.broadcast(F, wc[w8 + k]);
            c80 = w.fma(a0, c80);
            c81 = w.fma(a1, c81);
            w = FloatVector.broadcast(F, wc[w9 + k]);
            c90 = w.fma(a0, c90);
            c91 = w.fma(a1, c91);
            w = FloatVector.broadcast(F, wc[w10 + k]);
            c100 = w.fma(a0, c100);
            c101 = w.fma(a1, c101);
            w = FloatVector.broadcast(F, wc[w11 + k]);
            c110 = w.fma(a0, c110);
            c111 = w.fma(a1, c111);
        }
        int o0 = ctOff + 0 * ctStride;
        if (first) { c00.intoArray(ct, o0); c01.intoArray(ct, o0 + 16); }
        else { c00.add(FloatVector.fromArray(F, ct, o0)).intoArray(ct, o0); c01.add(FloatVector.fromArray(F, ct, o0 + 16)).intoArray(ct, o0 + 16); }
        int o1 = ctOff + 1 * ctStride;
        if (first) { c10.intoArray(ct, o1); c11.intoArray(ct, o1 + 16); }
        else { c10.add(FloatVector.fromArray(F, ct, o1)).intoArray(ct, o1); c11.add(FloatVector.fromArray(F, ct, o1 + 16)).intoArray(ct, o1 + 16); }
        int o2 = ctOff + 2 * ctStride;
        if (first) { c20.intoArray(ct, o2); c21.intoArray(ct, o2 + 16); }
        else { c20.add(FloatVector.fromArray(F, ct, o2)).intoArray(ct, o2); c21.add(FloatVector.fromArray(F, ct, o2 + 16)).intoArray(ct, o2 + 16); }
        int o3 = ctOff + 3 * ctStride;
        if (first) { c30.intoArray(ct, o3); c31.intoArray(ct, o3 + 16); }
        else { c30.add(FloatVector.fromArray(F, ct, o3)).intoArray(ct, o3); c31.add(FloatVector.fromArray(F, ct, o3 + 16)).intoArray(ct, o3 + 16); }
        int o4 = ctOff + 4 * ctStride;
        if (first) { c40.intoArray(ct, o4); c41.intoArray(ct, o4 + 16); }
        else { c40.add(FloatVector.fromArray(F, ct, o4)).intoArray(ct, o4); c41.add(FloatVector.fromArray(F, ct, o4 + 16)).intoArray(ct, o4 + 16); }
        int o5 = ctOff + 5 * ctStride;
        if (first) { c50.intoArray(ct, o5); c51.intoArray(ct, o5 + 16); }
        else { c50.add(FloatVector.fromArray(F, ct, o5)).intoArray(ct, o5); c51.add(FloatVector.fromArray(F, ct, o5 + 16)).intoArray(ct, o5 + 16); }
        int o6 = ctOff + 6 * ctStride;
        if (first) { c60.intoArray(ct, o6); c61.intoArray(ct, o6 + 16); }
        else { c60.add(FloatVector.fromArray(F, ct, o6)).intoArray(ct, o6); c61.add(FloatVector.fromArray(F, ct, o6 + 16)).intoArray(ct, o6 + 16); }
        int o7 = ctOff + 7 * ctStride;
        if (first) { c70.intoArray(ct, o7); c71.intoArray(ct, o7 + 16); }
        else { c70.add(FloatVector.fromArray(F, ct, o7)).intoArray(ct, o7); c71.add(FloatVector.fromArray(F, ct, o7 + 16)).intoArray(ct, o7 + 16); }
        int o8 = ctOff + 8 * ctStride;
        if (first) { c80.intoArray(ct, o8); c81.intoArray(ct, o8 + 16); }
        else { c80.add(FloatVector.fromArray(F, ct, o8)).intoArray(ct, o8); c81.add(FloatVector.fromArray(F, ct, o8 + 16)).intoArray(ct, o8 + 16); }
        int o9 = ctOff + 9 * ctStride;
        if (first) { c90.intoArray(ct, o9); c91.intoArray(ct, o9 + 16); }
        else { c90.add(FloatVector.fromArray(F, ct, o9)).intoArray(ct, o9); c91.add(FloatVector.fromArray(F, ct, o9 + 16)).intoArray(ct, o9 + 16); }
        int o10 = ctOff + 10 * ctStride;
        if (first) { c100.intoArray(ct, o10); c101.intoArray(ct, o10 + 16); }
        else { c100.add(FloatVector.fromArray(F, ct, o10)).intoArray(ct, o10); c101.add(FloatVector.fromArray(F, ct, o10 + 16)).intoArray(ct, o10 + 16); }
        int o11 = ctOff + 11 * ctStride;
        if (first) { c110.intoArray(ct, o11); c111.intoArray(ct, o11 + 16); }
        else { c110.add(FloatVector.fromArray(F, ct, o11)).intoArray(ct, o11); c111.add(FloatVector.fromArray(F, ct, o11 + 16)).intoArray(ct, o11 + 16); }
    }
}
