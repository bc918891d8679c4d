package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.F32;
import static dev.sieve.kernels.Elementwise.LE;
import static dev.sieve.kernels.Elementwise.SPECIES;
import static dev.sieve.kernels.Elementwise.checkFloats;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Activation functions over n floats, SIMD; {@code out} may alias the input (in-place use).
 * Scalar twins: {@link ActivationsReference}.
 *
 * <ul>
 *   <li>{@link #silu}: {@code x * sigmoid(x)}, computed as {@code x / (1 + exp(-x))} as PyTorch
 *       does.</li>
 *   <li>{@link #geluErf}: exact-erf GELU, {@code 0.5 x (1 + erf(x / sqrt 2))} (PyTorch
 *       {@code nn.GELU()}); {@code 1 + erf(u)} is evaluated as {@code erfc(-u)} for {@code u <= -1}, so
 *       the negative tail keeps its relative accuracy. erf is {@link Erf}'s approximation.</li>
 *   <li>{@link #quickGelu}: {@code x * sigmoid(1.702 x)} (CLIP's {@code quick_gelu}).</li>
 *   <li>{@link #swiglu}: {@code silu(gate) * up}, the Llama MLP gate.</li>
 * </ul>
 */
public final class Activations {
    static final float INV_SQRT2 = 0.70710677f;
    static final float QUICK_GELU_ALPHA = 1.702f;

    private Activations() {
    }

    /** {@code out[i] = in[i] / (1 + exp(-in[i]))}. */
    public static void silu(MemorySegment in, MemorySegment out, int n) {
        checkFloats(in, n, "in");
        checkFloats(out, n, "out");
        final int lanes = SPECIES.length();
        final int bound = ColdStart.scalar(n) ? 0 : SPECIES.loopBound(n);
        final FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = (long) i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, off, LE);
            x.div(Exp.exp(x.neg()).add(one)).intoMemorySegment(out, off, LE);
        }
        for (; i < n; i++) {
            long off = (long) i * Float.BYTES;
            float x = in.get(F32, off);
            out.set(F32, off, x / (1f + Exp.exp(-x)));
        }
    }

    /** {@code out[i] = in[i] / (1 + exp(-1.702 in[i]))}. */
    public static void quickGelu(MemorySegment in, MemorySegment out, int n) {
        checkFloats(in, n, "in");
        checkFloats(out, n, "out");
        final int lanes = SPECIES.length();
        final int bound = ColdStart.scalar(n) ? 0 : SPECIES.loopBound(n);
        final FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        final FloatVector minusAlpha = FloatVector.broadcast(SPECIES, -QUICK_GELU_ALPHA);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = (long) i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, off, LE);
            x.div(Exp.exp(x.mul(minusAlpha)).add(one)).intoMemorySegment(out, off, LE);
        }
        for (; i < n; i++) {
            long off = (long) i * Float.BYTES;
            float x = in.get(F32, off);
            out.set(F32, off, x / (1f + Exp.exp(-QUICK_GELU_ALPHA * x)));
        }
    }

    /** {@code out[i] = silu(gate[i]) * up[i]}; {@code out} may alias {@code gate} or {@code up}. */
    public static void swiglu(MemorySegment gate, MemorySegment up, MemorySegment out, int n) {
        checkFloats(gate, n, "gate");
        checkFloats(up, n, "up");
        checkFloats(out, n, "out");
        final int lanes = SPECIES.length();
        final int bound = ColdStart.scalar(n) ? 0 : SPECIES.loopBound(n);
        final FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = (long) i * Float.BYTES;
            FloatVector g = FloatVector.fromMemorySegment(SPECIES, gate, off, LE);
            FloatVector u = FloatVector.fromMemorySegment(SPECIES, up, off, LE);
            g.div(Exp.exp(g.neg()).add(one)).mul(u).intoMemorySegment(out, off, LE);
        }
        for (; i < n; i++) {
            long off = (long) i * Float.BYTES;
            float g = gate.get(F32, off);
            out.set(F32, off, g / (1f + Exp.exp(-g)) * up.get(F32, off));
        }
    }

    /** {@code out[i] = 0.5 in[i] (1 + erf(in[i] / sqrt 2))}, exact-erf GELU. */
    public static void geluErf(MemorySegment in, MemorySegment out, int n) {
        checkFloats(in, n, "in");
        checkFloats(out, n, "out");
        final int lanes = SPECIES.length();
        final int bound = ColdStart.scalar(n) ? 0 : SPECIES.loopBound(n);
        final FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        final FloatVector two = FloatVector.broadcast(SPECIES, 2f);
        final FloatVector half = FloatVector.broadcast(SPECIES, 0.5f);
        final FloatVector invSqrt2 = FloatVector.broadcast(SPECIES, INV_SQRT2);
        final FloatVector p0 = FloatVector.broadcast(SPECIES, Erf.P0);
        final FloatVector p1 = FloatVector.broadcast(SPECIES, Erf.P1);
        final FloatVector p2 = FloatVector.broadcast(SPECIES, Erf.P2);
        final FloatVector p3 = FloatVector.broadcast(SPECIES, Erf.P3);
        final FloatVector p4 = FloatVector.broadcast(SPECIES, Erf.P4);
        final FloatVector p5 = FloatVector.broadcast(SPECIES, Erf.P5);
        final FloatVector p6 = FloatVector.broadcast(SPECIES, Erf.P6);
        final FloatVector c0 = FloatVector.broadcast(SPECIES, Erf.C0);
        final FloatVector c1 = FloatVector.broadcast(SPECIES, Erf.C1);
        final FloatVector c2 = FloatVector.broadcast(SPECIES, Erf.C2);
        final FloatVector c3 = FloatVector.broadcast(SPECIES, Erf.C3);
        final FloatVector c4 = FloatVector.broadcast(SPECIES, Erf.C4);
        final FloatVector c5 = FloatVector.broadcast(SPECIES, Erf.C5);
        final FloatVector c6 = FloatVector.broadcast(SPECIES, Erf.C6);
        final FloatVector c7 = FloatVector.broadcast(SPECIES, Erf.C7);
        final FloatVector c8 = FloatVector.broadcast(SPECIES, Erf.C8);
        final FloatVector c9 = FloatVector.broadcast(SPECIES, Erf.C9);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = (long) i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, off, LE);
            FloatVector u = x.mul(invSqrt2);
            FloatVector a = u.abs();
            // |u| < 1: 1 + erf(u) = 1 + (u + u * P(u^2))
            FloatVector s = u.mul(u);
            FloatVector y = p6.fma(s, p5).fma(s, p4).fma(s, p3).fma(s, p2).fma(s, p1).fma(s, p0);
            FloatVector small = u.fma(y, u).add(one);
            // |u| >= 1: q = erfc(|u|); 1 + erf(u) = u < 0 ? q : 2 - q
            FloatVector t = one.div(a.fma(half, one));
            FloatVector h = c9.fma(t, c8).fma(t, c7).fma(t, c6).fma(t, c5).fma(t, c4)
                    .fma(t, c3).fma(t, c2).fma(t, c1).fma(t, c0);
            FloatVector q = t.mul(Exp.exp(a.neg().fma(a, h)));
            FloatVector big = two.sub(q).blend(q, u.lt(0f));
            FloatVector onePlusErf = big.blend(small, a.lt(Erf.SMALL));
            x.mul(half).mul(onePlusErf).intoMemorySegment(out, off, LE);
        }
        for (; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(F32, off, geluErf(in.get(F32, off)));
        }
    }

    /** Scalar exact-erf GELU with the same approximation as the SIMD lanes. */
    public static float geluErf(float x) {
        float u = x * INV_SQRT2;
        float a = Math.abs(u);
        float onePlusErf;
        if (a < Erf.SMALL) {
            onePlusErf = 1f + Erf.erf(u);
        } else if (Float.isNaN(a)) {
            return x;
        } else {
            float q = Erf.erfcTail(a);
            onePlusErf = u < 0 ? q : 2f - q;
        }
        return x * 0.5f * onePlusErf;
    }
}
