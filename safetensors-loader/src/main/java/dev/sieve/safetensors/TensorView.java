package dev.sieve.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of an open safetensors file: its name, dtype and shape, and its bytes as a
 * read-only {@link MemorySegment} slice of the file's memory mapping. Nothing is copied; the view
 * is valid until the file or checkpoint that produced it is closed, after which any access throws
 * {@link IllegalStateException}.
 *
 * <p>Elements are little-endian and in row-major order. The data may be unaligned (the format
 * does not require alignment), so the readers here use unaligned layouts.
 */
public final class TensorView {
    static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble LE_DOUBLE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final long elementCount;
    private final MemorySegment data;
    private final Path file;
    private final long fileOffset;

    TensorView(String name, DType dtype, long[] shape, long elementCount, MemorySegment data, Path file, long fileOffset) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape;
        this.elementCount = elementCount;
        this.data = data;
        this.file = file;
        this.fileOffset = fileOffset;
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape; {@code []} for a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code axis}; negative axes count from the end, as in PyTorch. */
    public long dim(int axis) {
        int a = axis < 0 ? shape.length + axis : axis;
        if (a < 0 || a >= shape.length) {
            throw new IndexOutOfBoundsException("axis " + axis + " of a rank-" + shape.length + " tensor '" + name + "'");
        }
        return shape[a];
    }

    /** Number of elements (1 for a scalar, 0 when a dimension is 0). */
    public long elementCount() {
        return elementCount;
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** The bytes, read-only, zero-copy over the file mapping. */
    public MemorySegment data() {
        return data;
    }

    /** The file that holds this tensor (a shard, for a sharded checkpoint). */
    public Path file() {
        return file;
    }

    /** Absolute byte offset of the first element inside {@link #file()}. */
    public long fileOffset() {
        return fileOffset;
    }

    /** Element {@code index} (row-major) of an F64, F32, F16 or BF16 tensor, widened or narrowed to float. */
    public float getFloat(long index) {
        long i = checkIndex(index);
        return switch (dtype) {
            case F32 -> data.get(LE_FLOAT, i * 4);
            case F16 -> HalfFloats.f16ToFloat(data.get(LE_SHORT, i * 2));
            case BF16 -> HalfFloats.bf16ToFloat(data.get(LE_SHORT, i * 2));
            case F64 -> (float) data.get(LE_DOUBLE, i * 8);
            default -> throw wrongDtype("getFloat");
        };
    }

    /**
     * Element {@code index} of an integer or BOOL tensor as a long. Unsigned types are
     * zero-extended; U64 values above {@link Long#MAX_VALUE} come back as their two's-complement
     * bits (use {@link Long#toUnsignedString(long)}).
     */
    public long getLong(long index) {
        long i = checkIndex(index);
        return switch (dtype) {
            case I64, U64 -> data.get(LE_LONG, i * 8);
            case I32 -> data.get(LE_INT, i * 4);
            case U32 -> Integer.toUnsignedLong(data.get(LE_INT, i * 4));
            case I16 -> data.get(LE_SHORT, i * 2);
            case U16 -> Short.toUnsignedLong(data.get(LE_SHORT, i * 2));
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> Byte.toUnsignedLong(data.get(ValueLayout.JAVA_BYTE, i));
            default -> throw wrongDtype("getLong");
        };
    }

    /** Copies {@code length} elements starting at element {@code from} into {@code dst[offset..]} as floats. */
    public void copyFloats(long from, float[] dst, int offset, int length) {
        if (length < 0 || from < 0 || from + length > elementCount) {
            throw new IndexOutOfBoundsException("elements [" + from + ", " + (from + length) + ") of tensor '" + name
                    + "' with " + elementCount + " elements");
        }
        if (!dtype.widensToFloat()) {
            throw wrongDtype("copyFloats");
        }
        if (dtype == DType.F32) {
            MemorySegment.copy(data, LE_FLOAT, from * 4, dst, offset, length);
            return;
        }
        for (int k = 0; k < length; k++) {
            dst[offset + k] = getFloat(from + k);
        }
    }

    /** All elements as a new float array (for tensors of fewer than 2^31 elements). */
    public float[] toFloatArray() {
        float[] out = new float[checkedArrayLength()];
        copyFloats(0, out, 0, out.length);
        return out;
    }

    /** All elements of an integer or BOOL tensor as a new long array. */
    public long[] toLongArray() {
        long[] out = new long[checkedArrayLength()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getLong(i);
        }
        return out;
    }

    private int checkedArrayLength() {
        if (elementCount > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(file, name, SafetensorsException.Rule.WRONG_DTYPE,
                    elementCount + " elements do not fit in one Java array; read it through data()");
        }
        return (int) elementCount;
    }

    private long checkIndex(long index) {
        if (index < 0 || index >= elementCount) {
            throw new IndexOutOfBoundsException("element " + index + " of tensor '" + name + "' with " + elementCount + " elements");
        }
        return index;
    }

    private SafetensorsException wrongDtype(String operation) {
        return new SafetensorsException(file, name, SafetensorsException.Rule.WRONG_DTYPE,
                operation + " cannot read dtype " + dtype);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
