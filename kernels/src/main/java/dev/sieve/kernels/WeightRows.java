package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Widens a run of one weight row to float, {@link Simd#L} elements per step: F32 copies, BF16 shifts, F16
 * converts with {@link Float#float16ToFloat} (vectorized by C2), Q8_0 multiplies by the block scale.
 */
final class WeightRows {
    static final VectorSpecies<Float> F = Simd.F;
    static final VectorSpecies<Short> H = Simd.H;
    static final VectorSpecies<Byte> B = Simd.B;
    private static final int L = Simd.L;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private WeightRows() {}

    /** dst[dstOff .. dstOff+len) = W[row, col .. col+len) as float. */
    static void widen(WeightMatrix w, int row, int col, int len, float[] dst, int dstOff) {
        MemorySegment d = w.data();
        int i = 0;
        int upper = F.loopBound(len);
        switch (w.type()) {
            case F32 -> {
                long base = (row * w.rowStride() + col) * 4;
                MemorySegment.copy(d, WeightMatrix.F32_LE, base, dst, dstOff, len);
                return;
            }
            case BF16 -> {
                long base = (row * w.rowStride() + col) * 2;
                for (; i < upper; i += L) {
                    ShortVector h = ShortVector.fromMemorySegment(H, d, base + i * 2L, LE);
                    IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, Simd.I, 0);
                    bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
                }
            }
            case F16 -> {
                // A plain loop of Float.float16ToFloat, which C2 vectorizes into vcvtph2ps
                // (JDK-8294588): exact by definition, and no float arithmetic on subnormal values.
                // The integer rebias this replaced multiplied subnormal floats by 2^112, and on
                // Intel cores each vector holding one took a microcode assist: F16 pp611 of the
                // 16-layer 7B shape went from 27.2 to 30.7 t/s with this loop (docs/BENCHMARKS.md).
                long base = (row * w.rowStride() + col) * 2;
                if (w.f16ScaleLog2() == 0) {
                    // No multiply: a NaN keeps the payload float16ToFloat gives it (WeightRowsTest checks every half's bits).
                    for (int j = 0; j < len; j++) {
                        dst[dstOff + j] = Float.float16ToFloat(d.get(WeightMatrix.I16_LE, base + j * 2L));
                    }
                } else {
                    // Lifted halves: the power-of-two unscale is exact (no lifted value is below 2^-24).
                    float unscale = w.f16Unscale();
                    for (int j = 0; j < len; j++) {
                        dst[dstOff + j] = Float.float16ToFloat(d.get(WeightMatrix.I16_LE, base + j * 2L)) * unscale;
                    }
                }
                return;
            }
            case Q8_0 -> {
                if (col % WeightMatrix.Q8_BLOCK == 0) {
                    i = widenQ8Blocks(w, row, col, len, dst, dstOff);
                }
            }
        }
        for (; i < len; i++) {
            dst[dstOff + i] = w.get(row, col + i);
        }
    }

    /** Whole Q8_0 blocks of a row from a block boundary; returns how many elements it wrote. */
    private static int widenQ8Blocks(WeightMatrix w, int row, int col, int len, float[] dst, int dstOff) {
        MemorySegment d = w.data();
        MemorySegment scales = w.scales();
        long base = row * w.rowStride() + col;
        long scaleBase = ((long) row * WeightMatrix.blocksPerRow(w.cols()) + col / WeightMatrix.Q8_BLOCK) * 4;
        int blocks = len / WeightMatrix.Q8_BLOCK;
        for (int b = 0; b < blocks; b++) {
            int i = b * WeightMatrix.Q8_BLOCK;
            FloatVector scale = FloatVector.broadcast(F, scales.get(WeightMatrix.F32_LE, scaleBase + b * 4L));
            for (int j = i; j < i + WeightMatrix.Q8_BLOCK; j += L) {
                FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, d, base + j, LE).convertShape(VectorOperators.B2F, F, 0);
                q.mul(scale).intoArray(dst, dstOff + j);
            }
        }
        return blocks * WeightMatrix.Q8_BLOCK;
    }

    /** Scalar twin of {@link #widen}: the definition via {@link WeightMatrix#get}. */
    static void widenReference(WeightMatrix w, int row, int col, int len, float[] dst, int dstOff) {
        for (int i = 0; i < len; i++) {
            dst[dstOff + i] = w.get(row, col + i);
        }
    }

}
