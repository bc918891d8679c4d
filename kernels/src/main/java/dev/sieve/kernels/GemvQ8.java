package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four-row GEMV for Q8_0 weights. Per block of 32: the bytes widen to two 16-lane float vectors
 * (B2F), their products with x are summed unscaled (q0·x0, then fma q1·x1), and the block sum is
 * scaled into the row's accumulator with one FMA. x is loaded once per block for the four rows.
 * Per row: the fixed-order lane sum of acc (Lanes.sum16) + the scalar tail over a last, partial block.
 */
final class GemvQ8 {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private GemvQ8() {}

    static void dot(WeightMatrix w, int r0, int r1, int r2, int r3, float[] x, int k, float[] out) {
        MemorySegment d = w.data();
        MemorySegment s = w.scales();
        int blocks = k / WeightMatrix.Q8_BLOCK;
        long perRow = WeightMatrix.blocksPerRow(k);
        long b0 = r0 * w.rowStride(), b1 = r1 * w.rowStride(), b2 = r2 * w.rowStride(), b3 = r3 * w.rowStride();
        long s0 = r0 * perRow * 4, s1 = r1 * perRow * 4, s2 = r2 * perRow * 4, s3 = r3 * perRow * 4;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int i = b * WeightMatrix.Q8_BLOCK;
            long sb = b * 4L;
            FloatVector x0 = FloatVector.fromArray(F, x, i), x1 = FloatVector.fromArray(F, x, i + 16);
            a0 = block(d, b0 + i, x0, x1).fma(FloatVector.broadcast(F, s.get(WeightMatrix.F32_LE, s0 + sb)), a0);
            a1 = block(d, b1 + i, x0, x1).fma(FloatVector.broadcast(F, s.get(WeightMatrix.F32_LE, s1 + sb)), a1);
            a2 = block(d, b2 + i, x0, x1).fma(FloatVector.broadcast(F, s.get(WeightMatrix.F32_LE, s2 + sb)), a2);
            a3 = block(d, b3 + i, x0, x1).fma(FloatVector.broadcast(F, s.get(WeightMatrix.F32_LE, s3 + sb)), a3);
        }
        int steps = blocks * WeightMatrix.Q8_BLOCK;
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 64);
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 16);
        a2.intoArray(lanes, 32);
        a3.intoArray(lanes, 48);
        Gemv.finish(w, r0, r1, r2, r3, x, steps, k, lanes, out);
    }

    /** The unscaled 32-element block product at {@code offset}, as 16 partial sums. */
    private static FloatVector block(MemorySegment d, long offset, FloatVector x0, FloatVector x1) {
        FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B, d, offset, LE).convertShape(VectorOperators.B2F, F, 0);
        FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B, d, offset + 16, LE).convertShape(VectorOperators.B2F, F, 0);
        return q1.fma(x1, q0.mul(x0));
    }
}
