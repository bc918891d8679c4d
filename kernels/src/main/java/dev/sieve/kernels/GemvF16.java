package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four-row GEMV for F16 weights. The Vector API of JDK 25 has no half-to-float conversion, but C2
 * compiles a plain loop {@code f[i] = Float.float16ToFloat(segment.get(SHORT, base + 2 * i))} into
 * {@code vcvtph2ps} (measured: 0.028 ns per element on one core, where a copy into a short[] first
 * cost as much again); so each row's next {@link #CHUNK} halves are widened into a per-thread
 * float[] (in L1), then the four rows are dotted from there with one x load per step. The
 * widening is exact ({@link Float#float16ToFloat} itself), so the arithmetic per row is that of
 * {@link GemvDense}: two accumulators over a 32-wide step, Lanes.sum, scalar tail.
 *
 * <p>Tried and measured slower: widening in registers with integer ops fused into the FMA loop
 * as BF16 does ({@code (h << 13) & 0x8fffe000} times 2^112 is exact for finite halves). A
 * stand-alone probe of that loop without an infinity/NaN check ran at 26 Gelem/s on one core
 * (L2) and 22 GB/s from DRAM, against 16 and 13 for this kernel; but inside this class, with the
 * check the exactness needs (a max of each half's exponent bits), C2's code was erratic
 * (0.03-10 Gelem/s: its vectors were boxed in some compilations). Widening 64- or 128-element
 * chunks was slower too (the vectorized loop's setup dominates).
 */
final class GemvF16 {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /** Halves per row per chunk: 4 rows x 512 x (2 + 4) bytes = 12 KiB beside x in L1. A multiple of 32. */
    static final int CHUNK = 512;

    private GemvF16() {}

    static void dot(WeightMatrix w, int r0, int r1, int r2, int r3, float[] x, int k, float[] out) {
        MemorySegment d = w.data();
        float[] f = Scratch.floats(Scratch.GEMV_F16_CHUNK, Gemv.GROUP * CHUNK + 1);
        int touched = 0;
        long b0 = r0 * w.rowStride() * 2, b1 = r1 * w.rowStride() * 2, b2 = r2 * w.rowStride() * 2, b3 = r3 * w.rowStride() * 2;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);
        int steps = k & ~31;
        for (int c0 = 0; c0 < steps; c0 += CHUNK) {
            int len = Math.min(CHUNK, steps - c0);
            long off = c0 * 2L;
            widen(d, b0 + off, f, 0, len);
            widen(d, b1 + off, f, CHUNK, len);
            widen(d, b2 + off, f, 2 * CHUNK, len);
            widen(d, b3 + off, f, 3 * CHUNK, len);
            // One byte of each cache line of the next chunk, read between the FMAs, so its misses
            // are in flight while this chunk is computed (Java has no prefetch instruction).
            long next = off + 2L * CHUNK, lastHalf = 2L * (steps - 1);
            for (int i = 0; i < len; i += 32) {
                long t = Math.min(next + 2L * i, lastHalf);
                touched += d.get(ValueLayout.JAVA_BYTE, b0 + t) + d.get(ValueLayout.JAVA_BYTE, b1 + t)
                        + d.get(ValueLayout.JAVA_BYTE, b2 + t) + d.get(ValueLayout.JAVA_BYTE, b3 + t);
                FloatVector x0 = FloatVector.fromArray(F, x, c0 + i), x1 = FloatVector.fromArray(F, x, c0 + i + 16);
                a00 = FloatVector.fromArray(F, f, i).fma(x0, a00);
                a01 = FloatVector.fromArray(F, f, i + 16).fma(x1, a01);
                a10 = FloatVector.fromArray(F, f, CHUNK + i).fma(x0, a10);
                a11 = FloatVector.fromArray(F, f, CHUNK + i + 16).fma(x1, a11);
                a20 = FloatVector.fromArray(F, f, 2 * CHUNK + i).fma(x0, a20);
                a21 = FloatVector.fromArray(F, f, 2 * CHUNK + i + 16).fma(x1, a21);
                a30 = FloatVector.fromArray(F, f, 3 * CHUNK + i).fma(x0, a30);
                a31 = FloatVector.fromArray(F, f, 3 * CHUNK + i + 16).fma(x1, a31);
            }
        }
        f[Gemv.GROUP * CHUNK] = touched; // keeps the touching loads alive
        // Stored, then reduced from the array: a vector passed to a method C2 does not inline is boxed.
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 64);
        a00.add(a01).intoArray(lanes, 0);
        a10.add(a11).intoArray(lanes, 16);
        a20.add(a21).intoArray(lanes, 32);
        a30.add(a31).intoArray(lanes, 48);
        Gemv.finish(w, r0, r1, r2, r3, x, steps, k, lanes, out);
    }

    /** f[to..to+n) = the n halves at byte {@code offset} of d, widened exactly (kept this plain so C2 vectorizes it). */
    static void widen(MemorySegment d, long offset, float[] f, int to, int n) {
        for (int i = 0; i < n; i++) {
            f[to + i] = Float.float16ToFloat(d.get(WeightMatrix.I16_LE, offset + 2L * i));
        }
    }
}
