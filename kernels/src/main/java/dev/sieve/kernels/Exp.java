package dev.sieve.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Single-precision exp, to within 2 ulp of the correctly rounded value, built only from IEEE
 * operations that are exactly rounded (add, multiply, fused multiply-add, min/max, integer bit
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

    /** Lane-wise {@link #exp(float)}. */
    public static FloatVector exp(FloatVector x) {
        var species = x.species();
        // Compare-and-blend rather than max/min: Java's NaN- and signed-zero-aware max and min cost
        // several instructions each, and a NaN lane fails both comparisons, so it stays NaN.
        FloatVector c = x.blend(LO, x.lt(LO));
        c = c.blend(HI, c.compare(VectorOperators.GT, HI));
        FloatVector t = c.fma(FloatVector.broadcast(species, LOG2E), FloatVector.broadcast(species, ROUNDER));
        FloatVector k = t.sub(ROUNDER);
        IntVector n = (IntVector) t.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector r = k.fma(FloatVector.broadcast(species, -LN2_HI), c);
        r = k.fma(FloatVector.broadcast(species, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(species, P0)
                .fma(r, FloatVector.broadcast(species, P1))
                .fma(r, FloatVector.broadcast(species, P2))
                .fma(r, FloatVector.broadcast(species, P3))
                .fma(r, FloatVector.broadcast(species, P4))
                .fma(r, FloatVector.broadcast(species, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector half = n.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2);
    }
}
