package dev.sieve.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix of {@code rows x cols} ({@code [out_features, in_features]}, PyTorch's Linear
 * layout: y = x W^T), over memory it does not own (typically a safetensors mapping).
 *
 * <p>For F32, F16 and BF16, {@code data} holds rows of {@code cols} elements, {@code rowStride}
 * elements apart. For Q8_0, {@code data} holds rows of {@code blocksPerRow * 32} signed bytes
 * (the last block zero-padded) and {@code scales} holds {@code rows * blocksPerRow} floats.
 *
 * <p>Weights are read-only once a kernel has used them: the first F16 GEMV records what it needs
 * to know about the halves (see {@link #f16Profile}), and later calls trust that record.
 */
public final class WeightMatrix {
    public static final int Q8_BLOCK = 32;
    /**
     * The power of two a lifted F16 matrix's halves carry: 2^10 maps the smallest subnormal half,
     * 2^-24, to the smallest normal one, 2^-14, so every nonzero half of the values times 2^10 is
     * normal and exact; values must stay below 64 in magnitude so the lifted halves stay finite.
     */
    static final int F16_LIFT = 10;

    private final WeightType type;
    private final int rows;
    private final int cols;
    private final long rowStride;
    private final MemorySegment data;
    private final MemorySegment scales;
    /**
     * F16 only: the stored halves are the values times 2^this, 0 or {@link #F16_LIFT}. A lifted
     * matrix is one of Sieve's own copies ({@link WeightConversion#liftF16}) whose zero-exponent
     * (subnormal) halves were lifted into normal ones, so the GEMV needs no correction for them.
     */
    private final int f16ScaleLog2;
    /** 2^-f16ScaleLog2: a stored half's float times this is the element's value, exactly. */
    private final float f16Unscale;
    /** F16 only: null until the first GEMV scans the halves. */
    private volatile F16Profile f16Profile;

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public WeightMatrix(WeightType type, int rows, int cols, long rowStride, MemorySegment data, MemorySegment scales) {
        this(type, rows, cols, rowStride, data, scales, 0);
    }

    /** An F16 matrix whose halves hold its values times 2^{@link #F16_LIFT} (see {@link WeightConversion#liftF16}). */
    static WeightMatrix liftedF16(int rows, int cols, MemorySegment data) {
        return new WeightMatrix(WeightType.F16, rows, cols, cols, data, null, F16_LIFT);
    }

    private WeightMatrix(WeightType type, int rows, int cols, long rowStride, MemorySegment data, MemorySegment scales, int f16ScaleLog2) {
        if (rows < 0 || cols < 0 || rowStride < cols) {
            throw new IllegalArgumentException("bad weight geometry rows=" + rows + " cols=" + cols + " rowStride=" + rowStride);
        }
        long needed = type == WeightType.Q8_0 ? (long) rows * rowStride : ((long) rows * rowStride) * bytesPerElement(type);
        if (data.byteSize() < needed) {
            throw new IllegalArgumentException(type + " weight " + rows + "x" + cols + " needs " + needed + " bytes, segment has " + data.byteSize());
        }
        if (type == WeightType.Q8_0 && (scales == null || scales.byteSize() < (long) rows * blocksPerRow(cols) * 4)) {
            throw new IllegalArgumentException("Q8_0 weight needs " + rows * blocksPerRow(cols) + " scales");
        }
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.rowStride = rowStride;
        this.data = data;
        this.scales = scales;
        this.f16ScaleLog2 = f16ScaleLog2;
        this.f16Unscale = Math.scalb(1f, -f16ScaleLog2);
    }

    public WeightType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Elements (bytes for Q8_0) from the start of one row to the next. */
    public long rowStride() {
        return rowStride;
    }

    public MemorySegment data() {
        return data;
    }

    /** F16: the stored halves are the values times 2^this (0 unless lifted, see {@link WeightConversion#liftF16}). */
    int f16ScaleLog2() {
        return f16ScaleLog2;
    }

    /** 2^-{@link #f16ScaleLog2}. */
    float f16Unscale() {
        return f16Unscale;
    }

    /** Q8_0's block scales; null for the other types. */
    public MemorySegment scales() {
        return scales;
    }

    /**
     * For F16: the {@link F16Profile} of the halves (whether all are finite, and each row's
     * zero-exponent columns), scanned once on first use with {@code parallel} (one pass over the
     * weights) and remembered. Two threads racing here compute the same profile.
     */
    F16Profile f16Profile(Parallel parallel) {
        F16Profile known = f16Profile;
        if (known == null) {
            known = F16Profile.scan(this, parallel);
            f16Profile = known;
        }
        return known;
    }

    @Override
    public String toString() {
        return type + " weight " + rows + "x" + cols + (rowStride == cols ? "" : " (row stride " + rowStride + ")")
                + (f16ScaleLog2 == 0 ? "" : " (halves lifted by 2^" + f16ScaleLog2 + ")");
    }

    /** A dense F32, F16 or BF16 matrix with contiguous rows. */
    public static WeightMatrix dense(WeightType type, int rows, int cols, MemorySegment data) {
        if (type == WeightType.Q8_0) {
            throw new IllegalArgumentException("use quantizeQ8_0 for Q8_0 weights");
        }
        return new WeightMatrix(type, rows, cols, cols, data, null);
    }

    public static int blocksPerRow(int cols) {
        return (cols + Q8_BLOCK - 1) / Q8_BLOCK;
    }

    static int bytesPerElement(WeightType type) {
        return switch (type) {
            case F32 -> 4;
            case F16, BF16 -> 2;
            case Q8_0 -> 1;
        };
    }

    /** Element (r, c), widened or dequantized to float: the scalar definition every kernel is held to. */
    public float get(int r, int c) {
        return switch (type) {
            case F32 -> data.get(F32_LE, (r * rowStride + c) * 4);
            // Unlifted halves take no multiply, so a NaN keeps the payload float16ToFloat gives it.
            case F16 -> f16ScaleLog2 == 0 ? Float.float16ToFloat(data.get(I16_LE, (r * rowStride + c) * 2))
                    : Float.float16ToFloat(data.get(I16_LE, (r * rowStride + c) * 2)) * f16Unscale;
            case BF16 -> Float.intBitsToFloat((data.get(I16_LE, (r * rowStride + c) * 2) & 0xffff) << 16);
            case Q8_0 -> scales.get(F32_LE, ((long) r * blocksPerRow(cols) + c / Q8_BLOCK) * 4)
                    * data.get(ValueLayout.JAVA_BYTE, r * rowStride + c);
        };
    }

    /**
     * This matrix stored as {@code target} in new memory of {@code arena}: F16 and BF16 round to
     * nearest even, Q8_0 quantizes (see {@link #quantizeQ8_0}); F32 widens. One thread; see
     * {@link WeightConversion#convert} for many.
     */
    public WeightMatrix convertTo(WeightType target, Arena arena) {
        return WeightConversion.convert(this, target, arena, Parallel.serial());
    }

    /** Quantizes any matrix to Q8_0 into memory of {@code arena} (llama.cpp's rounding). */
    public static WeightMatrix quantizeQ8_0(WeightMatrix source, Arena arena) {
        return WeightConversion.convert(source, WeightType.Q8_0, arena, Parallel.serial());
    }
}
