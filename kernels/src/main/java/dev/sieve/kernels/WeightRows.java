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
    private static final float F16_REBIAS = 0x1p112f; // 2^(127-15)

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
                    long base = row * w.rowStride() + col;
                    long scaleBase = ((long) row * WeightMatrix.blocksPerRow(w.cols()) + col / WeightMatrix.Q8_BLOCK) * 4;
                    for (; i < upper; i += 16) {
                        float scale = w.scales().get(WeightMatrix.F32_LE, scaleBase + (i / WeightMatrix.Q8_BLOCK) * 4L);
                        ByteVector q = ByteVector.fromMemorySegment(B, d, base + i, LE);
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(scale).intoArray(dst, dstOff + i);
                    }
                }
            }
        }
        for (; i < len; i++) {
            dst[dstOff + i] = w.get(row, col + i);
        }
    }

    /** Sixteen F16 values (sign-extended into int lanes) widened exactly to float. */
    static FloatVector f16ToFloat(IntVector x) {
        IntVector magnitude = x.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        // Normal and subnormal halves: put the 5-bit exponent into a float and rescale by 2^112 (exact).
        IntVector bits = magnitude.reinterpretAsFloats().mul(F16_REBIAS).reinterpretAsInts();
        VectorMask<Integer> special = x.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
        VectorMask<Integer> nan = special.and(x.and(0x03ff).compare(VectorOperators.NE, 0));
        bits = bits.blend(magnitude.or(0x7f80_0000), special).blend(magnitude.or(0x7fc0_0000), nan);
        return bits.or(x.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** Scalar twin of {@link #widen}: the definition via {@link WeightMatrix#get}. */
    static void widenReference(WeightMatrix w, int row, int col, int len, float[] dst, int dstOff) {
        for (int i = 0; i < len; i++) {
            dst[dstOff + i] = w.get(row, col + i);
        }
    }

}
