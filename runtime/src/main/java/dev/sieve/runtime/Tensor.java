package dev.sieve.runtime;

import dev.sieve.kernels.WeightMatrix;
import dev.sieve.kernels.WeightType;
import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.HalfFloats;
import dev.sieve.safetensors.TensorView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An n-dimensional array over a {@link MemorySegment}: dtype, shape, strides (in elements) and an
 * element offset into {@code base}. Slicing, selecting, transposing and reshaping make new views
 * over the same memory; nothing here copies unless its name says so ({@link #toFloatArray},
 * {@link #copy}).
 *
 * <p>Elements are little-endian, as in safetensors files and as the kernels expect (heap arrays
 * wrapped by {@link #ofFloats} are in native order, which is little-endian on every platform Sieve
 * targets: x86-64 and AArch64). Accesses use unaligned layouts because a safetensors mapping need
 * not be aligned. Views over a file mapping
 * are read-only; writing to one throws {@link UnsupportedOperationException}.
 *
 * <p>The element accessors here ({@link #getFloat}, {@link #setFloat}) are for tests, debugging and
 * small glue code; hot loops go through {@link #segment()} or {@link #asWeightMatrix()} to the
 * kernels.
 */
public final class Tensor {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble LE_DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final long offset;
    private final MemorySegment base;
    private final Arena arena;

    private Tensor(DType dtype, long[] shape, long[] strides, long offset, MemorySegment base, Arena arena) {
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.base = base;
        this.arena = arena;
    }

    // ---- factories -------------------------------------------------------------------------

    /** A zeroed, contiguous tensor in {@code arena}, 64-byte aligned (a cache line, and wide enough for any vector). */
    public static Tensor allocate(Arena arena, DType dtype, long... shape) {
        long[] s = checkShape(shape);
        long bytes = Math.multiplyExact(count(s), (long) dtype.byteSize());
        return new Tensor(dtype, s, rowMajorStrides(s), 0, arena.allocate(bytes, 64), arena);
    }

    /** A contiguous F32 tensor backed by {@code data} itself (no copy: writes show in the array). */
    public static Tensor ofFloats(float[] data, long... shape) {
        long[] s = checkShape(shape);
        requireCount(s, data.length);
        return new Tensor(DType.F32, s, rowMajorStrides(s), 0, MemorySegment.ofArray(data), null);
    }

    /** A contiguous I64 tensor backed by {@code data} itself (token ids, kept indices). */
    public static Tensor ofLongs(long[] data, long... shape) {
        long[] s = checkShape(shape);
        requireCount(s, data.length);
        return new Tensor(DType.I64, s, rowMajorStrides(s), 0, MemorySegment.ofArray(data), null);
    }

    /** A contiguous tensor over the first bytes of {@code segment} (no copy; the segment must be large enough). */
    public static Tensor wrap(MemorySegment segment, DType dtype, long... shape) {
        long[] s = checkShape(shape);
        long bytes = Math.multiplyExact(count(s), (long) dtype.byteSize());
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException(dtype + Arrays.toString(s) + " needs " + bytes + " bytes, segment has " + segment.byteSize());
        }
        return new Tensor(dtype, s, rowMajorStrides(s), 0, segment, null);
    }

    /** A read-only tensor over a safetensors view's bytes: zero-copy, valid until its checkpoint is closed. */
    public static Tensor fromView(TensorView view) {
        long[] s = view.shape();
        return new Tensor(view.dtype(), s, rowMajorStrides(s), 0, view.data(), null);
    }

    // ---- geometry --------------------------------------------------------------------------

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape; {@code []} for a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    /** A copy of the strides, in elements. */
    public long[] strides() {
        return strides.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code dim}; negative dims count from the end. */
    public long dim(int dim) {
        return shape[axis(dim)];
    }

    /** Stride of dimension {@code dim} in elements; negative dims count from the end. */
    public long stride(int dim) {
        return strides[axis(dim)];
    }

    /** Offset of element (0, ..., 0) into the base segment, in elements. */
    public long offset() {
        return offset;
    }

    /** The arena the memory was allocated in by {@link #allocate}; null for views and wrapped memory. */
    public Arena arena() {
        return arena;
    }

    public long numel() {
        return count(shape);
    }

    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    /** True when the elements lie in row-major order without gaps (dims of size 1 may have any stride). */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 0) {
                return true;
            }
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /**
     * The bytes of a contiguous tensor, exactly {@link #byteSize()} long, starting at element
     * (0, ..., 0). A slice of the base, not a copy: for {@link #fromView} its address is the view's.
     */
    public MemorySegment segment() {
        if (!isContiguous()) {
            throw new IllegalStateException("segment() needs a contiguous tensor; " + describe() + " is not (use copy)");
        }
        return base.asSlice(offset * dtype.byteSize(), byteSize());
    }

    // ---- views -----------------------------------------------------------------------------

    /** Elements [start, end) along {@code dim}, same rank. */
    public Tensor slice(int dim, long start, long end) {
        int d = axis(dim);
        if (start < 0 || end < start || end > shape[d]) {
            throw new IndexOutOfBoundsException("slice [" + start + ", " + end + ") of dim " + d + " of " + describe());
        }
        long[] s = shape.clone();
        s[d] = end - start;
        return new Tensor(dtype, s, strides.clone(), offset + start * strides[d], base, null);
    }

    /** Element {@code index} along {@code dim}, dropping that dimension. */
    public Tensor select(int dim, long index) {
        int d = axis(dim);
        if (index < 0 || index >= shape[d]) {
            throw new IndexOutOfBoundsException("index " + index + " of dim " + d + " of " + describe());
        }
        return new Tensor(dtype, drop(shape, d), drop(strides, d), offset + index * strides[d], base, null);
    }

    /** {@code select(0, i)}: row i of a matrix, matrix i of a batch. */
    public Tensor row(long i) {
        return select(0, i);
    }

    /** The same elements in a new shape; one dimension may be -1 (inferred). Only contiguous tensors reshape without a copy. */
    public Tensor reshape(long... newShape) {
        long[] s = inferShape(newShape);
        if (!isContiguous()) {
            throw new IllegalArgumentException("cannot reshape non-contiguous " + describe() + " to " + Arrays.toString(newShape)
                    + " without a copy (use copy first)");
        }
        return new Tensor(dtype, s, rowMajorStrides(s), offset, base, null);
    }

    /** Dimensions {@code d0} and {@code d1} swapped: a strided view, no copy. */
    public Tensor transpose(int d0, int d1) {
        int a = axis(d0);
        int b = axis(d1);
        long[] s = shape.clone();
        long[] st = strides.clone();
        s[a] = shape[b];
        s[b] = shape[a];
        st[a] = strides[b];
        st[b] = strides[a];
        return new Tensor(dtype, s, st, offset, base, null);
    }

    /**
     * This 2-D F32/F16/BF16 tensor as a kernel weight matrix {@code [rows, cols]}, no copy. Rows must
     * be contiguous (stride of dim 1 is 1); rows may be further apart (rowStride = stride of dim 0).
     */
    public WeightMatrix asWeightMatrix() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("asWeightMatrix needs a 2-D tensor, got " + describe());
        }
        WeightType type = switch (dtype) {
            case F32 -> WeightType.F32;
            case F16 -> WeightType.F16;
            case BF16 -> WeightType.BF16;
            default -> throw new IllegalArgumentException("asWeightMatrix needs F32, F16 or BF16, got " + describe());
        };
        long rows = shape[0];
        long cols = shape[1];
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("asWeightMatrix: " + describe() + " has more than 2^31-1 rows or columns");
        }
        long rowStride = rows <= 1 ? cols : strides[0];
        if (cols > 1 && strides[1] != 1 || rowStride < cols) {
            throw new IllegalArgumentException("asWeightMatrix needs contiguous rows, got " + describe() + " (use copy)");
        }
        // WeightMatrix wants rows * rowStride elements, so the last row must be followed by the gap too.
        long start = offset * dtype.byteSize();
        long needed = rows * rowStride * dtype.byteSize();
        if (start + needed > base.byteSize()) {
            throw new IllegalArgumentException("asWeightMatrix: " + describe() + " ends before its last row's stride padding (use copy)");
        }
        return new WeightMatrix(type, (int) rows, (int) cols, rowStride, base.asSlice(start, needed), null);
    }

    // ---- elements --------------------------------------------------------------------------

    /** Element at {@code index} (one per dimension) of an F32/F16/BF16/F64 tensor, as float. */
    public float getFloat(long... index) {
        long byteOffset = byteOffsetOf(index);
        return switch (dtype) {
            case F32 -> base.get(LE_FLOAT, byteOffset);
            case F16 -> Float.float16ToFloat(base.get(LE_SHORT, byteOffset));
            case BF16 -> Float.intBitsToFloat((base.get(LE_SHORT, byteOffset) & 0xffff) << 16);
            case F64 -> (float) base.get(LE_DOUBLE, byteOffset);
            default -> throw wrongDtype("getFloat");
        };
    }

    /** Stores {@code value} at {@code index}, rounding to nearest even for F16/BF16. */
    public void setFloat(float value, long... index) {
        long byteOffset = byteOffsetOf(index);
        requireWritable();
        switch (dtype) {
            case F32 -> base.set(LE_FLOAT, byteOffset, value);
            case F16 -> base.set(LE_SHORT, byteOffset, Float.floatToFloat16(value));
            case BF16 -> base.set(LE_SHORT, byteOffset, HalfFloats.floatToBf16(value));
            case F64 -> base.set(LE_DOUBLE, byteOffset, value);
            default -> throw wrongDtype("setFloat");
        }
    }

    /** Element at {@code index} of an integer or BOOL tensor; unsigned types are zero-extended. */
    public long getLong(long... index) {
        long o = byteOffsetOf(index);
        return switch (dtype) {
            case I64, U64 -> base.get(LE_LONG, o);
            case I32 -> base.get(LE_INT, o);
            case U32 -> Integer.toUnsignedLong(base.get(LE_INT, o));
            case I16 -> base.get(LE_SHORT, o);
            case U16 -> Short.toUnsignedLong(base.get(LE_SHORT, o));
            case I8 -> base.get(ValueLayout.JAVA_BYTE, o);
            case U8, BOOL -> Byte.toUnsignedLong(base.get(ValueLayout.JAVA_BYTE, o));
            default -> throw wrongDtype("getLong");
        };
    }

    /** Stores the low bytes of {@code value} at {@code index} of an integer or BOOL tensor. */
    public void setLong(long value, long... index) {
        long o = byteOffsetOf(index);
        if (!dtype.isIntegral()) {
            throw wrongDtype("setLong");
        }
        requireWritable();
        switch (dtype.byteSize()) {
            case 8 -> base.set(LE_LONG, o, value);
            case 4 -> base.set(LE_INT, o, (int) value);
            case 2 -> base.set(LE_SHORT, o, (short) value);
            default -> base.set(ValueLayout.JAVA_BYTE, o, (byte) value);
        }
    }

    /** All elements in row-major order as a new float array (any strides; F32/F16/BF16/F64). */
    public float[] toFloatArray() {
        if (!dtype.widensToFloat()) {
            throw wrongDtype("toFloatArray");
        }
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(describe() + " has too many elements for one float[]");
        }
        float[] out = new float[(int) n];
        if (dtype == DType.F32 && isContiguous()) {
            MemorySegment.copy(base, LE_FLOAT, offset * 4, out, 0, out.length);
            return out;
        }
        long[] index = new long[shape.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(index);
            increment(index);
        }
        return out;
    }

    /** A contiguous copy (same dtype, same shape) in {@code arena}; the way to make any view contiguous. */
    public Tensor copy(Arena arena) {
        Tensor out = allocate(arena, dtype, shape);
        long n = numel();
        int size = dtype.byteSize();
        if (isContiguous()) {
            MemorySegment.copy(base, offset * size, out.base, 0, n * size);
            return out;
        }
        long[] index = new long[shape.length];
        for (long i = 0; i < n; i++) {
            MemorySegment.copy(base, byteOffsetOf(index), out.base, i * size, size);
            increment(index);
        }
        return out;
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---- helpers ---------------------------------------------------------------------------

    private String describe() {
        String s = dtype + Arrays.toString(shape);
        return isContiguous() ? s : s + " strides " + Arrays.toString(strides);
    }

    private int axis(int dim) {
        int d = dim < 0 ? shape.length + dim : dim;
        if (d < 0 || d >= shape.length) {
            throw new IllegalArgumentException("dim " + dim + " out of range for " + describe());
        }
        return d;
    }

    private long byteOffsetOf(long[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException(index.length + " indices for rank-" + shape.length + " " + describe());
        }
        long e = offset;
        for (int d = 0; d < index.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside " + describe());
            }
            e += index[d] * strides[d];
        }
        return e * dtype.byteSize();
    }

    /** Advances a row-major multi-index by one (odometer style). */
    private void increment(long[] index) {
        for (int d = index.length - 1; d >= 0; d--) {
            if (++index[d] < shape[d]) {
                return;
            }
            index[d] = 0;
        }
    }

    private void requireWritable() {
        if (base.isReadOnly()) {
            throw new UnsupportedOperationException(describe() + " is read-only (a view over a file mapping)");
        }
    }

    private IllegalArgumentException wrongDtype(String operation) {
        return new IllegalArgumentException(operation + " cannot handle dtype " + dtype + " of " + describe());
    }

    private long[] inferShape(long[] newShape) {
        long[] s = newShape.clone();
        int inferred = -1;
        long known = 1;
        for (int d = 0; d < s.length; d++) {
            if (s[d] == -1 && inferred < 0) {
                inferred = d;
            } else if (s[d] < 0) {
                throw new IllegalArgumentException("bad shape " + Arrays.toString(newShape) + " for reshape of " + describe());
            } else {
                known = Math.multiplyExact(known, s[d]);
            }
        }
        long n = numel();
        if (inferred >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + describe() + " to " + Arrays.toString(newShape));
            }
            s[inferred] = n / known;
        } else if (known != n) {
            throw new IllegalArgumentException("cannot reshape " + describe() + " (" + n + " elements) to " + Arrays.toString(newShape));
        }
        return s;
    }

    private static long[] checkShape(long[] shape) {
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        count(shape);
        return shape.clone();
    }

    private static void requireCount(long[] shape, int length) {
        if (count(shape) != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count(shape) + " elements, array has " + length);
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static long[] rowMajorStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= Math.max(shape[d], 1);
        }
        return st;
    }

    private static long[] drop(long[] a, int d) {
        long[] out = new long[a.length - 1];
        System.arraycopy(a, 0, out, 0, d);
        System.arraycopy(a, d + 1, out, d, a.length - d - 1);
        return out;
    }
}
