package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The error function, three ways.
 *
 * <ul>
 *   <li>{@link #erf(double)}: a double-precision evaluation (absolute error about 1e-15), the
 *       definition that reference kernels and tests are held to.</li>
 *   <li>{@link #erf(float)}: a fast float approximation, lane for lane the same formula as the
 *       vector version.</li>
 *   <li>{@link #erf(FloatVector)} and {@link #erf(MemorySegment, MemorySegment, int)}: the SIMD
 *       version.</li>
 * </ul>
 *
 * <h2>The float approximation</h2>
 * For {@code |x| < 1}: {@code erf(x) = x + x * P(x^2)}, {@code P} a degree-6 least-squares fit on
 * Chebyshev nodes of {@code erf(x)/x - 1} (truncation error 1.1e-9). For {@code |x| >= 1}:
 * {@code erf(x) = sign(x) * (1 - erfc(|x|))} with the Numerical Recipes Chebyshev fit
 * {@code erfc(z) = t * exp(-z^2 + C(t))}, {@code t = 1 / (1 + z/2)} (fractional error below
 * 1.2e-7, so absolute error below 2e-8 where {@code erfc(z) <= erfc(1) = 0.157}). Evaluated in
 * float with fused multiply-adds, the measured maximum absolute error over a dense sweep of
 * [-10, 10] (see {@code ErfTest}) is 6.7e-8 (near x = -1.03; about half a float ulp of 1), asserted below {@value #MAX_ABS_ERROR}; NaN
 * propagates and {@code erf(+-inf) = +-1}.
 *
 * <p>Vectorised callers (GELU) inline the same formula in their loops rather than call
 * {@link #erf(FloatVector)}, so that no vector is ever boxed across a call that the JIT declines
 * to inline.
 */
public final class Erf {
    /** Upper bound of |erf(float) - erf(exact)| measured over [-10, 10]; asserted by ErfTest. */
    public static final double MAX_ABS_ERROR = 1e-7;

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Below this |x| the odd polynomial is used, at and above it the erfc form. */
    static final float SMALL = 1f;

    // erf(x) = x + x * (P0 + P1 s + ... + P6 s^6), s = x^2, |x| < 1.
    static final float P0 = 0.1283791658815028f;
    static final float P1 = -0.37612626903579777f;
    static final float P2 = 0.11283597463483151f;
    static final float P3 = -0.026854328795914515f;
    static final float P4 = 0.005189311942464386f;
    static final float P5 = -0.0008018854991322453f;
    static final float P6 = 7.882497106680439e-05f;

    // erfc(z) = t * exp(-z*z + C0 + t*(C1 + t*(C2 + ... + t*C9))), t = 1/(1 + z/2), z >= 0.
    static final float C0 = -1.26551223f;
    static final float C1 = 1.00002368f;
    static final float C2 = 0.37409196f;
    static final float C3 = 0.09678418f;
    static final float C4 = -0.18628806f;
    static final float C5 = 0.27886807f;
    static final float C6 = -1.13520398f;
    static final float C7 = 1.48851587f;
    static final float C8 = -0.82215223f;
    static final float C9 = 0.17087277f;

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    private Erf() {
    }

    /**
     * erf in double precision, absolute error about 1e-15: for |x| < 3 the series of
     * positive terms {@code 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (2n+1)!!} (no
     * cancellation); for 3 <= |x| < 6, {@code 1 - erfc(|x|)} with erfc from its continued fraction
     * (Lentz); +-1 beyond (erfc(6) < 3e-17). For references and tests, not hot loops.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        if (a == 0) {
            return x;
        }
        if (a >= 6) {
            return Math.copySign(1.0, x);
        }
        double x2 = a * a;
        double x2lo = Math.fma(a, a, -x2); // a*a = x2 + x2lo exactly
        double gauss = Math.exp(-x2) * (1 - x2lo); // exp(-a*a) to ~1 ulp
        if (a < 3) {
            double term = a;
            double sum = a;
            for (int n = 0; n < 200; n++) {
                term *= 2 * x2 / (2 * n + 3);
                sum += term;
                if (term < sum * 1e-17) {
                    break;
                }
            }
            return Math.copySign(TWO_OVER_SQRT_PI * gauss * sum, x);
        }
        // erfc(a) = exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
        double tiny = 1e-300;
        double f = a;
        double c = f;
        double d = 0;
        for (int n = 1; n < 1000; n++) {
            double an = 0.5 * n;
            d = a + an * d;
            d = d == 0 ? tiny : 1 / d;
            c = a + an / c;
            c = c == 0 ? tiny : c;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        double erfc = 0.5 * TWO_OVER_SQRT_PI * gauss / f;
        return Math.copySign(1 - erfc, x);
    }

    /** The float approximation (see the class comment); same formula as the vector lanes. */
    public static float erf(float x) {
        float a = Math.abs(x);
        if (a < SMALL) {
            float s = x * x;
            float y = P6;
            y = Math.fma(y, s, P5);
            y = Math.fma(y, s, P4);
            y = Math.fma(y, s, P3);
            y = Math.fma(y, s, P2);
            y = Math.fma(y, s, P1);
            y = Math.fma(y, s, P0);
            return Math.fma(x, y, x);
        }
        if (Float.isNaN(a)) {
            return x;
        }
        float q = erfcTail(a);
        return Math.copySign(1f - q, x);
    }

    /** erfc(z) for z >= 1 (also fine for any z >= 0 to the NR accuracy), float. */
    static float erfcTail(float z) {
        float t = 1f / Math.fma(0.5f, z, 1f);
        float h = C9;
        h = Math.fma(h, t, C8);
        h = Math.fma(h, t, C7);
        h = Math.fma(h, t, C6);
        h = Math.fma(h, t, C5);
        h = Math.fma(h, t, C4);
        h = Math.fma(h, t, C3);
        h = Math.fma(h, t, C2);
        h = Math.fma(h, t, C1);
        h = Math.fma(h, t, C0);
        float arg = Math.fma(-z, z, h);
        return t * Exp.exp(arg);
    }

    /**
     * Lane-wise erf of a {@link FloatVector#SPECIES_PREFERRED} vector (same formula as
     * {@link #erf(float)}, exp is {@link Exp} in both). Convenient outside hot
     * loops; hot loops should inline the body.
     */
    public static FloatVector erf(FloatVector x) {
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector a = x.abs();
        FloatVector s = x.mul(x);
        FloatVector y = FloatVector.broadcast(SPECIES, P6)
                .fma(s, FloatVector.broadcast(SPECIES, P5))
                .fma(s, FloatVector.broadcast(SPECIES, P4))
                .fma(s, FloatVector.broadcast(SPECIES, P3))
                .fma(s, FloatVector.broadcast(SPECIES, P2))
                .fma(s, FloatVector.broadcast(SPECIES, P1))
                .fma(s, FloatVector.broadcast(SPECIES, P0));
        FloatVector small = x.fma(y, x);
        FloatVector t = one.div(a.fma(FloatVector.broadcast(SPECIES, 0.5f), one));
        FloatVector h = FloatVector.broadcast(SPECIES, C9)
                .fma(t, FloatVector.broadcast(SPECIES, C8))
                .fma(t, FloatVector.broadcast(SPECIES, C7))
                .fma(t, FloatVector.broadcast(SPECIES, C6))
                .fma(t, FloatVector.broadcast(SPECIES, C5))
                .fma(t, FloatVector.broadcast(SPECIES, C4))
                .fma(t, FloatVector.broadcast(SPECIES, C3))
                .fma(t, FloatVector.broadcast(SPECIES, C2))
                .fma(t, FloatVector.broadcast(SPECIES, C1))
                .fma(t, FloatVector.broadcast(SPECIES, C0));
        FloatVector q = t.mul(Exp.exp(a.neg().fma(a, h)));
        FloatVector big = one.sub(q);
        big = big.lanewise(VectorOperators.NEG, x.lt(0f));
        return big.blend(small, a.lt(SMALL));
    }

    /** {@code out[i] = erf(in[i])} for n floats, SIMD; {@code out} may alias {@code in}. */
    public static void erf(MemorySegment in, MemorySegment out, int n) {
        Elementwise.checkFloats(in, n, "in");
        Elementwise.checkFloats(out, n, "out");
        final int lanes = SPECIES.length();
        final int bound = ColdStart.scalar(n) ? 0 : SPECIES.loopBound(n);
        final FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        final FloatVector half = FloatVector.broadcast(SPECIES, 0.5f);
        final FloatVector p0 = FloatVector.broadcast(SPECIES, P0);
        final FloatVector p1 = FloatVector.broadcast(SPECIES, P1);
        final FloatVector p2 = FloatVector.broadcast(SPECIES, P2);
        final FloatVector p3 = FloatVector.broadcast(SPECIES, P3);
        final FloatVector p4 = FloatVector.broadcast(SPECIES, P4);
        final FloatVector p5 = FloatVector.broadcast(SPECIES, P5);
        final FloatVector p6 = FloatVector.broadcast(SPECIES, P6);
        final FloatVector c0 = FloatVector.broadcast(SPECIES, C0);
        final FloatVector c1 = FloatVector.broadcast(SPECIES, C1);
        final FloatVector c2 = FloatVector.broadcast(SPECIES, C2);
        final FloatVector c3 = FloatVector.broadcast(SPECIES, C3);
        final FloatVector c4 = FloatVector.broadcast(SPECIES, C4);
        final FloatVector c5 = FloatVector.broadcast(SPECIES, C5);
        final FloatVector c6 = FloatVector.broadcast(SPECIES, C6);
        final FloatVector c7 = FloatVector.broadcast(SPECIES, C7);
        final FloatVector c8 = FloatVector.broadcast(SPECIES, C8);
        final FloatVector c9 = FloatVector.broadcast(SPECIES, C9);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = (long) i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, off, LE);
            FloatVector a = x.abs();
            FloatVector s = x.mul(x);
            FloatVector y = p6.fma(s, p5).fma(s, p4).fma(s, p3).fma(s, p2).fma(s, p1).fma(s, p0);
            FloatVector small = x.fma(y, x);
            FloatVector t = one.div(a.fma(half, one));
            FloatVector h = c9.fma(t, c8).fma(t, c7).fma(t, c6).fma(t, c5).fma(t, c4)
                    .fma(t, c3).fma(t, c2).fma(t, c1).fma(t, c0);
            FloatVector q = t.mul(Exp.exp(a.neg().fma(a, h)));
            FloatVector big = one.sub(q).lanewise(VectorOperators.NEG, x.lt(0f));
            big.blend(small, a.lt(SMALL)).intoMemorySegment(out, off, LE);
        }
        for (; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(Elementwise.F32, off, erf(in.get(Elementwise.F32, off)));
        }
    }
}
