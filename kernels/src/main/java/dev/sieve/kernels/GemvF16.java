package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four-row GEMV for F16 weights. The Vector API of JDK 25 has no half-to-float conversion, so the
 * halves are widened in registers with integer operations: a half sign-extended, shifted left by
 * 13, masked with 0x8fffe000 and OR-ed with 0x30000000 (exponent field + 96) is the float
 * {@code w * 2^-16}, exactly, for every finite half with a nonzero exponent. The matching factor
 * 2^16 goes on x instead, once per call ({@link #scaledInput}), so each L halves cost a load, a
 * sign extension, a shift, the mask-and-OR and the FMA, fused in one loop: the weights stream from
 * memory once and are never stored.
 *
 * <p>A half with a zero exponent field (zero or subnormal) comes out as the normal float
 * {@code F16Profile.pseudo(h) * 2^-16} instead; the row's result then subtracts
 * {@link F16Profile#correction}, the excess of those few columns (listed once per matrix in its
 * {@link F16Profile}; Gaussian-like weights have ~0.3% of them, and a lifted copy, whose halves hold
 * the values times 2^10 ({@link WeightConversion#liftF16}), only its exact zeros). The point is that no subnormal
 * float is ever formed: the previous widening ({@code w * 2^-112}) turned each subnormal half into a
 * subnormal float, and on Intel cores each FMA on a vector holding one took a microcode assist
 * (an uncommitted probe, 11008 x 4096 Gaussian halves from memory, 2 threads: 16-18 against 21-22
 * GB/s for this widening, back to back; docs/BENCHMARKS.md, fourth pass).
 *
 * <p>So a row's result is defined as: one accumulator over L-wide steps ({@link Simd#L}) of fma(v, x) where v is the
 * half's value, or pseudo(h) for a listed column; {@link Lanes#sumStored}; plus the scalar tail from the
 * last whole step; minus the correction. A <em>plain</em> row (too many zero-exponent halves, see
 * {@link F16Profile}) uses the halves' values everywhere and subtracts nothing.
 * {@link #dotExact} computes exactly that with chunks widened by {@link WeightRows#widen} (bit for bit
 * {@link Float#float16ToFloat}) and the listed columns overwritten with pseudo(h); the register path
 * gives the same bits, since the FMA's exact product of {@code pseudo * 2^-16} and {@code x * 2^16}
 * is that of pseudo and x. Groups holding a plain row, matrices holding an infinite or NaN half, and
 * calls whose x holds a finite value of magnitude 2^112 or more (its scaled copy would overflow)
 * take {@link #dotExact}.
 *
 * <p>Measured on two cores, 11008 x 4096, as ratios to BF16's bytes/s (a noisy machine): widening
 * each chunk into the buffer first, 0.57-0.61x (`sieve bench kernels --only gemv`); in registers with
 * a multiply per vector and an infinity check per step, 0.70x, and without the check, 0.86x (a
 * throwaway probe, not committed). Two accumulators per row over 32-wide steps made the method too
 * large for C2's inlining budget (NodeCountInliningCutoff): its vectors were boxed and it ran at 5
 * GB/s. Helpers taking vectors must stay small enough to inline (under 35 bytecodes) for the same reason.
 */
final class GemvF16 {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Short> H = Simd.H;
    private static final int L = Simd.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Halves per row per chunk in {@link #dotExact}: 4 rows x 512 x 4 bytes = 8 KiB beside x in L1. A multiple of every L. */
    static final int CHUNK = 512;

    private GemvF16() {}

    /**
     * x times 2^(16 - s) in a per-thread buffer, where the matrix's halves hold its values times
     * 2^s ({@link WeightMatrix#f16ScaleLog2}: 0, or 10 for a lifted copy); or null when the
     * register path cannot run: the matrix holds an infinity or NaN, or some finite |x| is
     * 2^(112 + s) or more (its scaled copy would overflow).
     */
    static float[] scaledInput(WeightMatrix w, F16Profile profile, float[] x, int k) {
        if (!profile.finite()) {
            return null;
        }
        float factor = Math.scalb(1f, 16 - w.f16ScaleLog2());
        float limit = Math.scalb(1f, 112 + w.f16ScaleLog2());
        float[] scaled = Scratch.floats(Scratch.GEMV_F16_SCALED_INPUT, k);
        for (int i = 0; i < k; i++) {
            if (Math.abs(x[i]) >= limit && Float.isFinite(x[i])) {
                return null;
            }
            scaled[i] = x[i] * factor;
        }
        return scaled;
    }

    /** Rows r0..r3 dotted with x; {@code scaled} is {@link #scaledInput}'s answer for this call. */
    static void dot(WeightMatrix w, F16Profile profile, int r0, int r1, int r2, int r3, float[] x, float[] scaled, int k, float[] out) {
        if (scaled == null || profile.plain(r0) || profile.plain(r1) || profile.plain(r2) || profile.plain(r3)) {
            dotExact(w, profile, r0, r1, r2, r3, x, k, out);
            return;
        }
        MemorySegment d = w.data();
        long b0 = r0 * w.rowStride() * 2, b1 = r1 * w.rowStride() * 2, b2 = r2 * w.rowStride() * 2, b3 = r3 * w.rowStride() * 2;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int steps = k & -L;
        for (int i = 0; i < steps; i += L) {
            FloatVector xi = FloatVector.fromArray(F, scaled, i);
            long o = i * 2L;
            IntVector h0 = halves(d, b0 + o), h1 = halves(d, b1 + o), h2 = halves(d, b2 + o), h3 = halves(d, b3 + o);
            a0 = widened(h0).fma(xi, a0);
            a1 = widened(h1).fma(xi, a1);
            a2 = widened(h2).fma(xi, a2);
            a3 = widened(h3).fma(xi, a3);
        }
        // Stored, then reduced from the array: a vector passed to a method C2 does not inline is boxed.
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 4 * L);
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        finish(w, profile, r0, r1, r2, r3, x, steps, k, lanes, out);
    }

    /** The same dots for any halves, infinities and NaNs included: chunks widened exactly by {@link WeightRows#widen}. */
    static void dotExact(WeightMatrix w, F16Profile profile, int r0, int r1, int r2, int r3, float[] x, int k, float[] out) {
        float[] f = Scratch.floats(Scratch.GEMV_F16_CHUNK, Gemv.GROUP * CHUNK);
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int steps = k & -L;
        for (int c0 = 0; c0 < steps; c0 += CHUNK) {
            int len = Math.min(CHUNK, steps - c0);
            WeightRows.widen(w, r0, c0, len, f, 0);
            WeightRows.widen(w, r1, c0, len, f, CHUNK);
            WeightRows.widen(w, r2, c0, len, f, 2 * CHUNK);
            WeightRows.widen(w, r3, c0, len, f, 3 * CHUNK);
            // Plain rows list no columns, so for them these change nothing.
            profile.pseudoInto(w, r0, c0, len, f, 0);
            profile.pseudoInto(w, r1, c0, len, f, CHUNK);
            profile.pseudoInto(w, r2, c0, len, f, 2 * CHUNK);
            profile.pseudoInto(w, r3, c0, len, f, 3 * CHUNK);
            for (int i = 0; i < len; i += L) {
                FloatVector xi = FloatVector.fromArray(F, x, c0 + i);
                a0 = FloatVector.fromArray(F, f, i).fma(xi, a0);
                a1 = FloatVector.fromArray(F, f, CHUNK + i).fma(xi, a1);
                a2 = FloatVector.fromArray(F, f, 2 * CHUNK + i).fma(xi, a2);
                a3 = FloatVector.fromArray(F, f, 3 * CHUNK + i).fma(xi, a3);
            }
        }
        // Stored, then reduced from the array: a vector passed to a method C2 does not inline is boxed.
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 4 * L);
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        finish(w, profile, r0, r1, r2, r3, x, steps, k, lanes, out);
    }

    /**
     * Gemv.finish (lane sum + scalar tail), then each row's correction subtracted. A plain row's
     * correction is an empty sum, +0, and subtracting +0 leaves every float as it is.
     */
    private static void finish(WeightMatrix w, F16Profile profile, int r0, int r1, int r2, int r3, float[] x, int from, int k, float[] lanes,
                               float[] out) {
        Gemv.finish(w, r0, r1, r2, r3, x, from, k, lanes, out);
        out[0] -= profile.correction(r0, x);
        out[1] -= profile.correction(r1, x);
        out[2] -= profile.correction(r2, x);
        out[3] -= profile.correction(r3, x);
    }

    /** L halves at {@code offset}, sign-extended into int lanes. */
    private static IntVector halves(MemorySegment d, long offset) {
        return (IntVector) ShortVector.fromMemorySegment(H, d, offset, LE).convertShape(VectorOperators.S2I, I, 0);
    }

    /**
     * L finite halves (sign-extended) as floats times 2^-16: exactly for a nonzero exponent,
     * pseudo(h) * 2^-16 for a zero one. Never a subnormal float.
     */
    private static FloatVector widened(IntVector h) {
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8fffe000).or(0x30000000).reinterpretAsFloats();
    }
}
