package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Widens a run of one weight row to float, 16 elements per step: F32 copies, BF16 shifts, F16
 * rebiases exactly (subnormals, infinities and quieted NaNs included, bit-identical to
 * {@link Float#float16ToFloat}), Q8_0 multiplies by the block scale.
 */
final class WeightRows {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Short> H = ShortVector.SPECIES_256;
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
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
                for (; i < upper; i += 16) {
                    ShortVector h = ShortVector.fromMemorySegment(H, d, base + i * 2L, LE);
                    IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, IntVector.SPECIES_512, 0);
                    bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
                }
            }
            case F16 -> {
                long base = (row * w.rowStride() + col) * 2;
                for (; i < upper; i += 16) {
                    ShortVector h = ShortVector.fromMemorySegment(H, d, base + i * 2L, LE);
                    IntVector x = (IntVector) h.convertShape(VectorOperators.S2I, IntVector.SPECIES_512, 0);
                    f16ToFloat(x).intoArray(dst, dstOff + i);
                }
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
            FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B, d, base + i, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B, d, base + i + 16, LE).convertShape(VectorOperators.B2F, F, 0);
            q0.mul(scale).intoArray(dst, dstOff + i);
            q1.mul(scale).intoArray(dst, dstOff + i + 16);
        }
        return blocks * WeightMatrix.Q8_BLOCK;
    }

    /**
     * Sixteen F16 values (in the low 16 bits of int lanes) widened exactly to float with integer
     * arithmetic only (no masks or blends, which made an earlier version several times slower):
     * the 15 magnitude bits shifted into float position and multiplied by 2^112 give every normal
     * and subnormal value exactly; exponent 31 (infinity, NaN) is then moved to 255 by adding
     * 112 << 23, and NaNs get the quiet bit, as {@link Float#float16ToFloat} does.
     */
    static FloatVector f16ToFloat(IntVector x) {
        IntVector magnitude = x.and(0x7fff);
        IntVector bits = magnitude.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector infOrNan = magnitude.add(0x0400).lanewise(VectorOperators.LSHR, 15);  // 1 iff magnitude >= 0x7c00
        IntVector nan = magnitude.add(0x83ff).lanewise(VectorOperators.LSHR, 16);       // 1 iff magnitude > 0x7c00
        bits = bits.add(infOrNan.lanewise(VectorOperators.LSHL, 23).mul(112))
                .or(nan.lanewise(VectorOperators.LSHL, 22));
        return bits.or(x.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** Scalar twin of {@link #widen}: the definition via {@link WeightMatrix#get}. */
    static void widenReference(WeightMatrix w, int row, int col, int len, float[] dst, int dstOff) {
        for (int i = 0; i < len; i++) {
            dst[dstOff + i] = w.get(row, col + i);
        }
    }

}
