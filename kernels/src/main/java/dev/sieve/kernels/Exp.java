package dev.sieve.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision exp, to within 2 ulp of the correctly rounded value, built only from IEEE
 * operations that are exactly rounded (add, multiply, fused multiply-add, compare-and-select, integer bit
 * arithmetic), in a scalar and a lane-wise form that return the same bits for the same input.
 *
 * <p>Why not {@link VectorOperators#EXP}: the Vector API computes it per lane with {@code Math.exp}
 * until C2 compiles the caller and then with an intrinsic math library, which differs in the last
 * bit for about 1% of inputs. A kernel that used it returned different logits for the same
 * prompt depending on how warm the JIT was, which broke run-to-run reproducibility (and a CI
 * test comparing two identical runs bit for bit). Every operation here is exactly rounded, so
 * interpreter, C1 and C2 agree, and the scalar form used for the tails of vector loops agrees
 * with the vector body.
 *
 * <p>Method (as in Cephes {@code expf}): clamp x to [-104, 89] (outside it the float result is 0
 * or infinity anyway), write x = k ln2 + r with k = round(x / ln2) and |r| <= ln2/2 (ln2 split in a
 * high and a low part so r is exact to float precision), exp(r) by a degree-6 polynomial, and
 * scale by 2^k as two powers of two, so results in the subnormal range are rounded once. NaN stays
 * NaN, -inf gives 0, +inf gives infinity.
 */
public final class Exp {
    private static final float LO = -104f;
    private static final float HI = 89f;
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding it rounds to an integer (nearest, ties to even) and leaves the integer in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    // Constant vectors: fewer bytecodes in exp(FloatVector), so it inlines into more callers.
    private static final FloatVector V_LOG2E = FloatVector.broadcast(SPECIES, LOG2E);
    private static final FloatVector V_ROUNDER = FloatVector.broadcast(SPECIES, ROUNDER);
    private static final FloatVector V_MINUS_LN2_HI = FloatVector.broadcast(SPECIES, -LN2_HI);
    private static final FloatVector V_MINUS_LN2_LO = FloatVector.broadcast(SPECIES, -LN2_LO);
    private static final FloatVector V_P0 = FloatVector.broadcast(SPECIES, P0);
    private static final FloatVector V_P1 = FloatVector.broadcast(SPECIES, P1);
    private static final FloatVector V_P2 = FloatVector.broadcast(SPECIES, P2);
    private static final FloatVector V_P3 = FloatVector.broadcast(SPECIES, P3);
    private static final FloatVector V_P4 = FloatVector.broadcast(SPECIES, P4);
    private static final FloatVector V_P5 = FloatVector.broadcast(SPECIES, P5);

    private Exp() {
    }

    /** exp(x) in float; the same bits as a lane of {@link #exp(FloatVector)}. */
    public static float exp(float x) {
        float c = x < LO ? LO : x > HI ? HI : x;
        float t = Math.fma(c, LOG2E, ROUNDER);
        float k = t - ROUNDER;
        int n = Float.floatToRawIntBits(t) - ROUNDER_BITS;
        float r = Math.fma(k, -LN2_HI, c);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(P0, r, P1), r, P2), r, P3), r, P4), r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        int half = n >> 1;
        return y * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((n - half + 127) << 23);
    }

    /**
     * {@code a[i] = exp(a[i])} for i in [from, to), SIMD with the scalar form for the tail. Prefer this
     * to {@link #exp(FloatVector)} in large methods: the loop is compiled as a unit of its own (so the
     * vector code is intrinsified however big the caller is) and becomes hot, and so compiled, early.
     * The first elements of the process take the scalar form ({@link ColdStart}).
     */
    public static void expInPlace(float[] a, int from, int to) {
        int i = from;
        for (int bound = ColdStart.scalar(to - from) ? from : from + SPECIES.loopBound(to - from); i < bound; i += LANES) {
            exp(FloatVector.fromArray(SPECIES, a, i)).intoArray(a, i);
        }
        for (; i < to; i++) {
            a[i] = exp(a[i]);
        }
    }

    /** Lane-wise {@link #exp(float)} of a {@link FloatVector#SPECIES_PREFERRED} vector. */
    public static FloatVector exp(FloatVector x) {
        // Compare-and-blend rather than max/min: Java's NaN- and signed-zero-aware max and min cost
        // several instructions each, and a NaN lane fails both comparisons, so it stays NaN.
        FloatVector c = x.blend(LO, x.lt(LO));
        c = c.blend(HI, c.compare(VectorOperators.GT, HI));
        FloatVector t = c.fma(V_LOG2E, V_ROUNDER);
        FloatVector k = t.sub(V_ROUNDER);
        IntVector n = t.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector r = k.fma(V_MINUS_LN2_HI, c);
        r = k.fma(V_MINUS_LN2_LO, r);
        FloatVector p = V_P0.fma(r, V_P1).fma(r, V_P2).fma(r, V_P3).fma(r, V_P4).fma(r, V_P5);
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector half = n.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2);
    }
}
