package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four-row GEMV kernels for F32 and BF16 weights, read straight from their segment (BF16 widens
 * with a sign extension and a shift, cheaper than any buffer). Each row keeps two accumulators
 * over alternating L-lane blocks ({@link Simd#L}) of a 2L-wide step; x is loaded once per step for all four rows.
 * Per row: the fixed-order lane sum of a0 + a1 (Lanes.sumStored) + the scalar tail past the last whole step (the same in every GEMV kernel).
 */
final class GemvDense {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private GemvDense() {}

    static void dotF32(WeightMatrix w, int r0, int r1, int r2, int r3, float[] x, int k, float[] out) {
        MemorySegment d = w.data();
        long b0 = r0 * w.rowStride() * 4, b1 = r1 * w.rowStride() * 4, b2 = r2 * w.rowStride() * 4, b3 = r3 * w.rowStride() * 4;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);
        int steps = k / (2 * L) * (2 * L);
        for (int i = 0; i < steps; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, x, i), x1 = FloatVector.fromArray(F, x, i + L);
            long o0 = i * 4L, o1 = o0 + 4L * L;
            a00 = FloatVector.fromMemorySegment(F, d, b0 + o0, LE).fma(x0, a00);
            a01 = FloatVector.fromMemorySegment(F, d, b0 + o1, LE).fma(x1, a01);
            a10 = FloatVector.fromMemorySegment(F, d, b1 + o0, LE).fma(x0, a10);
            a11 = FloatVector.fromMemorySegment(F, d, b1 + o1, LE).fma(x1, a11);
            a20 = FloatVector.fromMemorySegment(F, d, b2 + o0, LE).fma(x0, a20);
            a21 = FloatVector.fromMemorySegment(F, d, b2 + o1, LE).fma(x1, a21);
            a30 = FloatVector.fromMemorySegment(F, d, b3 + o0, LE).fma(x0, a30);
            a31 = FloatVector.fromMemorySegment(F, d, b3 + o1, LE).fma(x1, a31);
        }
        // Stored, then reduced from the array: a vector passed to a method C2 does not inline is boxed.
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 4 * L);
        a00.add(a01).intoArray(lanes, 0);
        a10.add(a11).intoArray(lanes, L);
        a20.add(a21).intoArray(lanes, 2 * L);
        a30.add(a31).intoArray(lanes, 3 * L);
        Gemv.finish(w, r0, r1, r2, r3, x, steps, k, lanes, out);
    }

    static void dotBf16(WeightMatrix w, int r0, int r1, int r2, int r3, float[] x, int k, float[] out) {
        MemorySegment d = w.data();
        long b0 = r0 * w.rowStride() * 2, b1 = r1 * w.rowStride() * 2, b2 = r2 * w.rowStride() * 2, b3 = r3 * w.rowStride() * 2;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);
        int steps = k / (2 * L) * (2 * L);
        for (int i = 0; i < steps; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, x, i), x1 = FloatVector.fromArray(F, x, i + L);
            long o0 = i * 2L, o1 = o0 + 2L * L;
            a00 = bf16(d, b0 + o0).fma(x0, a00);
            a01 = bf16(d, b0 + o1).fma(x1, a01);
            a10 = bf16(d, b1 + o0).fma(x0, a10);
            a11 = bf16(d, b1 + o1).fma(x1, a11);
            a20 = bf16(d, b2 + o0).fma(x0, a20);
            a21 = bf16(d, b2 + o1).fma(x1, a21);
            a30 = bf16(d, b3 + o0).fma(x0, a30);
            a31 = bf16(d, b3 + o1).fma(x1, a31);
        }
        // Stored, then reduced from the array: a vector passed to a method C2 does not inline is boxed.
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 4 * L);
        a00.add(a01).intoArray(lanes, 0);
        a10.add(a11).intoArray(lanes, L);
        a20.add(a21).intoArray(lanes, 2 * L);
        a30.add(a31).intoArray(lanes, 3 * L);
        Gemv.finish(w, r0, r1, r2, r3, x, steps, k, lanes, out);
    }

    private static FloatVector bf16(MemorySegment d, long offset) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(Simd.H, d, offset, LE).convertShape(VectorOperators.S2I, Simd.I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
