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
 * 13 and masked with 0x8fffe000 is the float {@code w * 2^-112}, exactly, for every finite half
 * (normal or subnormal; the smallest become float subnormals). The matching factor 2^112 goes on
 * x instead, once per call ({@link #scaledInput}), so each 16 halves cost a load, a sign
 * extension, a shift, an AND and the FMA, fused in one loop: the weights stream from memory once
 * and are never stored. The FMA's exact product of {@code w * 2^-112} and {@code x * 2^112} is
 * that of w and x, so every result has the bits of {@link #dotExact}.
 *
 * <p>Two cases would break that and go through {@link #dotExact} (which widens chunks exactly,
 * bit for bit as {@link Float#float16ToFloat}, with {@link WeightRows#widen} into a per-thread
 * buffer, then does the same FMAs in the same order): a matrix holding an infinite or NaN half ({@link WeightMatrix#halvesAreFinite}, scanned
 * once), and an x with a finite value of magnitude 2^16 or more (whose scaled copy would overflow).
 *
 * <p>Order, shared by both paths: one accumulator per row over 16-wide steps, {@link Lanes#sum16},
 * the scalar tail from the last whole step. Measured on two cores, 11008 x 4096, as ratios to
 * BF16's bytes/s (a noisy machine): widening each chunk into the buffer first, 0.57-0.61x
 * (`sieve bench kernels --only gemv`); in registers with a multiply by 2^112 per vector and an
 * infinity check per step, 0.70x, and without the check, 0.86x (a throwaway probe timing
 * Gemv.matvec on F16 and BF16 copies of one matrix in turn, not committed). Two accumulators per row over
 * 32-wide steps made the method too large for C2's inlining budget (NodeCountInliningCutoff): its
 * vectors were boxed and it ran at 5 GB/s. Helpers taking vectors must stay small enough to
 * inline (under 35 bytecodes) for the same reason.
 *
 * <p>On Intel cores a subnormal half becomes a subnormal float here, and each FMA on a vector
 * holding one takes a microcode assist (Gaussian weights: ~4% of vectors; in L2 the kernel ran
 * 13 GB/s, 43 GB/s on the same data without subnormals). Exact variants that never form a
 * subnormal (a rebias with an integer min, masks and blends, {@code vcvtph2ps} into a chunk) were
 * no faster from memory, where decode reads its weights; docs/BENCHMARKS.md, third pass.
 */
final class GemvF16 {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Short> H = ShortVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Halves per row per chunk in {@link #dotExact}: 4 rows x 512 x 4 bytes = 8 KiB beside x in L1. A multiple of 16. */
    static final int CHUNK = 512;

    private GemvF16() {}

    /**
     * x times 2^112 in a per-thread buffer, or null when the fast path cannot run: the matrix holds
     * an infinity or NaN, or some finite |x| is 2^16 or more (its scaled copy would overflow).
     */
    static float[] scaledInput(WeightMatrix w, float[] x, int k) {
        if (!w.halvesAreFinite()) {
            return null;
        }
        float[] scaled = Scratch.floats(Scratch.GEMV_F16_SCALED_INPUT, k);
        for (int i = 0; i < k; i++) {
            if (Math.abs(x[i]) >= 0x1p16f && Float.isFinite(x[i])) {
                return null;
            }
            scaled[i] = x[i] * 0x1p112f;
        }
        return scaled;
    }

    /** Rows r0..r3 dotted with x; {@code scaled} is {@link #scaledInput}'s answer for this call. */
    static void dot(WeightMatrix w, int r0, int r1, int r2, int r3, float[] x, float[] scaled, int k, float[] out) {
        if (scaled == null) {
            dotExact(w, r0, r1, r2, r3, x, k, out);
            return;
        }
        MemorySegment d = w.data();
        long b0 = r0 * w.rowStride() * 2, b1 = r1 * w.rowStride() * 2, b2 = r2 * w.rowStride() * 2, b3 = r3 * w.rowStride() * 2;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int steps = k & ~15;
        for (int i = 0; i < steps; i += 16) {
            FloatVector xi = FloatVector.fromArray(F, scaled, i);
            long o = i * 2L;
            IntVector h0 = halves(d, b0 + o), h1 = halves(d, b1 + o), h2 = halves(d, b2 + o), h3 = halves(d, b3 + o);
            a0 = widened(h0).fma(xi, a0);
            a1 = widened(h1).fma(xi, a1);
            a2 = widened(h2).fma(xi, a2);
            a3 = widened(h3).fma(xi, a3);
        }
        // Stored, then reduced from the array: a vector passed to a method C2 does not inline is boxed.
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 64);
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 16);
        a2.intoArray(lanes, 32);
        a3.intoArray(lanes, 48);
        Gemv.finish(w, r0, r1, r2, r3, x, steps, k, lanes, out);
    }

    /** The same dots for any halves, infinities and NaNs included: chunks widened exactly by {@link WeightRows#widen}. */
    static void dotExact(WeightMatrix w, int r0, int r1, int r2, int r3, float[] x, int k, float[] out) {
        float[] f = Scratch.floats(Scratch.GEMV_F16_CHUNK, Gemv.GROUP * CHUNK);
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int steps = k & ~15;
        for (int c0 = 0; c0 < steps; c0 += CHUNK) {
            int len = Math.min(CHUNK, steps - c0);
            WeightRows.widen(w, r0, c0, len, f, 0);
            WeightRows.widen(w, r1, c0, len, f, CHUNK);
            WeightRows.widen(w, r2, c0, len, f, 2 * CHUNK);
            WeightRows.widen(w, r3, c0, len, f, 3 * CHUNK);
            for (int i = 0; i < len; i += 16) {
                FloatVector xi = FloatVector.fromArray(F, x, c0 + i);
                a0 = FloatVector.fromArray(F, f, i).fma(xi, a0);
                a1 = FloatVector.fromArray(F, f, CHUNK + i).fma(xi, a1);
                a2 = FloatVector.fromArray(F, f, 2 * CHUNK + i).fma(xi, a2);
                a3 = FloatVector.fromArray(F, f, 3 * CHUNK + i).fma(xi, a3);
            }
        }
        // Stored, then reduced from the array: a vector passed to a method C2 does not inline is boxed.
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 64);
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 16);
        a2.intoArray(lanes, 32);
        a3.intoArray(lanes, 48);
        Gemv.finish(w, r0, r1, r2, r3, x, steps, k, lanes, out);
    }

    /** Sixteen halves at {@code offset}, sign-extended into int lanes. */
    private static IntVector halves(MemorySegment d, long offset) {
        return (IntVector) ShortVector.fromMemorySegment(H, d, offset, LE).convertShape(VectorOperators.S2I, I, 0);
    }

    /** Sixteen finite halves (sign-extended) as floats times 2^-112, exactly. */
    private static FloatVector widened(IntVector h) {
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8fffe000).reinterpretAsFloats();
    }
}
