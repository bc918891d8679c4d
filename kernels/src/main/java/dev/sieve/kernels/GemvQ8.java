package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four-row GEMV for Q8_0 weights. Per block of 32: the bytes widen to 32 / L float vectors of
 * {@link Simd#L} lanes (B2F; two with AVX-512), their products with x are summed unscaled (q0·x0, then
 * fma q1·x1, ...), and the block sum is scaled into the row's accumulator with one FMA. x is loaded
 * once per block part for the four rows. Per row: the fixed-order lane sum of acc
 * (Lanes.sumStored) + the scalar tail over a last, partial block.
 *
 * <p>Each row's bytes and scales are read through their own slices ({@link Gemv#row}), indexed
 * from 0. With the whole matrix indexed by row base + offset, C2 recomputed the long range checks
 * of every load inside the loop (a chain of cmovs per block and row, in -XX:+PrintAssembly); the
 * slices let it check once per call. Measured on an Intel Xeon with AVX-512, 2 threads, 16-layer
 * 7B shape (`sieve bench llm --weights q8_0 --prompt-tokens 16`): tg16 3.90 -> 4.57 t/s.
 *
 * <p>The parts of a block are written out in the loop body. As an inner loop over 32 / L parts C2
 * did not unroll it and spilled the row addresses around it; as a helper method (even one under
 * 35 bytecodes) C2 refused to inline it with four 8-lane parts ("callee uses too much stack" in
 * -XX:+PrintInlining) and boxed its vectors. Written out, on a 2-core AMD EPYC with AVX2, 11008 x
 * 4096 from memory (an uncommitted probe, back to back): 13.8-14.2 against 10.6-11.6 GB/s.
 */
final class GemvQ8 {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Byte> B = Simd.B;
    private static final int L = Simd.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private GemvQ8() {}

    static void dot(WeightMatrix w, int r0, int r1, int r2, int r3, float[] x, int k, float[] out) {
        MemorySegment d = w.data();
        MemorySegment s = w.scales();
        int blocks = k / WeightMatrix.Q8_BLOCK;
        long perRow = WeightMatrix.blocksPerRow(k);
        long b0 = r0 * w.rowStride(), b1 = r1 * w.rowStride(), b2 = r2 * w.rowStride(), b3 = r3 * w.rowStride();
        long scaleBytes = blocks * 4L;
        MemorySegment s0 = Gemv.row(s, r0 * perRow * 4, scaleBytes), s1 = Gemv.row(s, r1 * perRow * 4, scaleBytes);
        MemorySegment s2 = Gemv.row(s, r2 * perRow * 4, scaleBytes), s3 = Gemv.row(s, r3 * perRow * 4, scaleBytes);
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int steps = blocks * WeightMatrix.Q8_BLOCK;
        MemorySegment q0 = Gemv.row(d, b0, steps), q1 = Gemv.row(d, b1, steps), q2 = Gemv.row(d, b2, steps), q3 = Gemv.row(d, b3, steps);
        for (int i = 0; i < steps; i += WeightMatrix.Q8_BLOCK) {
            long sb = i >> 3;  // byte offset of block i / 32 in the row's scales: (i / 32) * 4
            // Per row: the block's unscaled product (q0 * x0, then fma q1 * x1, ...), scaled into the accumulator.
            // The widenings are written out, not in a helper or an inner loop: see the class comment.
            FloatVector x0 = FloatVector.fromArray(F, x, i);
            FloatVector p0 = ((FloatVector) ByteVector.fromMemorySegment(B, q0, i, LE).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
            FloatVector p1 = ((FloatVector) ByteVector.fromMemorySegment(B, q1, i, LE).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
            FloatVector p2 = ((FloatVector) ByteVector.fromMemorySegment(B, q2, i, LE).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
            FloatVector p3 = ((FloatVector) ByteVector.fromMemorySegment(B, q3, i, LE).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
            FloatVector x1 = FloatVector.fromArray(F, x, i + L);
            p0 = ((FloatVector) ByteVector.fromMemorySegment(B, q0, i + L, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x1, p0);
            p1 = ((FloatVector) ByteVector.fromMemorySegment(B, q1, i + L, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x1, p1);
            p2 = ((FloatVector) ByteVector.fromMemorySegment(B, q2, i + L, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x1, p2);
            p3 = ((FloatVector) ByteVector.fromMemorySegment(B, q3, i + L, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x1, p3);
            if (L == 8) {  // a constant: 8-lane vectors take four parts per block, 16-lane ones two
                FloatVector x2 = FloatVector.fromArray(F, x, i + 16), x3 = FloatVector.fromArray(F, x, i + 24);
                p0 = ((FloatVector) ByteVector.fromMemorySegment(B, q0, i + 16, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x2, p0);
                p1 = ((FloatVector) ByteVector.fromMemorySegment(B, q1, i + 16, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x2, p1);
                p2 = ((FloatVector) ByteVector.fromMemorySegment(B, q2, i + 16, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x2, p2);
                p3 = ((FloatVector) ByteVector.fromMemorySegment(B, q3, i + 16, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x2, p3);
                p0 = ((FloatVector) ByteVector.fromMemorySegment(B, q0, i + 24, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x3, p0);
                p1 = ((FloatVector) ByteVector.fromMemorySegment(B, q1, i + 24, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x3, p1);
                p2 = ((FloatVector) ByteVector.fromMemorySegment(B, q2, i + 24, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x3, p2);
                p3 = ((FloatVector) ByteVector.fromMemorySegment(B, q3, i + 24, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x3, p3);
            }
            a0 = p0.fma(FloatVector.broadcast(F, s0.get(WeightMatrix.F32_LE, sb)), a0);
            a1 = p1.fma(FloatVector.broadcast(F, s1.get(WeightMatrix.F32_LE, sb)), a1);
            a2 = p2.fma(FloatVector.broadcast(F, s2.get(WeightMatrix.F32_LE, sb)), a2);
            a3 = p3.fma(FloatVector.broadcast(F, s3.get(WeightMatrix.F32_LE, sb)), a3);
        }
        float[] lanes = Scratch.floats(Scratch.GEMV_LANES, 4 * L);
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        Gemv.finish(w, r0, r1, r2, r3, x, steps, k, lanes, out);
    }
}
