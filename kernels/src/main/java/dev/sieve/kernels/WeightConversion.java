package dev.sieve.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Converts a weight matrix to another storage type into new memory, rows spread over threads
 * (each row is converted by one thread and depends on nothing else, so the result is the same
 * for any thread count). F16 and BF16 round to nearest even; Q8_0 quantizes each block of 32 as
 * llama.cpp does (scale = max|x| / 127, q = round(x / scale)); F32 widens.
 */
public final class WeightConversion {
    private static final int ROWS_PER_TASK = 16;
    private static final VectorSpecies<Float> F = Simd.F;
    /** {@code -Dsieve.f16.lift=false} keeps F16 copies and conversions unlifted: to measure what lifting gains. */
    static final boolean LIFT = KernelSettings.f16Lift();
    /** Magnitude bits of a half below this: finite and below 64 (exponent field at most 20), so times 2^10 it stays finite. */
    private static final int LIFT_BELOW = 0x5400;

    private WeightConversion() {}

    /**
     * {@code source} stored as {@code target} in memory of {@code arena} (which must allow access from the pool's threads),
     * on huge pages where the OS gives them ({@link LargePages}).
     */
    public static WeightMatrix convert(WeightMatrix source, WeightType target, Arena arena, Parallel parallel) {
        int rows = source.rows();
        int cols = source.cols();
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        if (target == WeightType.Q8_0) {
            int blocks = WeightMatrix.blocksPerRow(cols);
            long stride = (long) blocks * WeightMatrix.Q8_BLOCK;
            MemorySegment q = LargePages.allocate(arena, Math.max(1, rows * stride));
            MemorySegment s = arena.allocate(Math.max(4, (long) rows * blocks * 4), 64);
            parallel.forEach(tasks, t -> {
                float[] row = new float[blocks * WeightMatrix.Q8_BLOCK];
                byte[] quantized = new byte[row.length];
                for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) {
                    quantizeRow(source, r, row, quantized, q, s, stride, blocks);
                }
            });
            return new WeightMatrix(WeightType.Q8_0, rows, cols, stride, q, s);
        }
        MemorySegment out = LargePages.allocate(arena, Math.max(1, (long) rows * cols * WeightMatrix.bytesPerElement(target)));
        parallel.forEach(tasks, t -> {
            // A row at a time: widened by the vector kernels, converted in plain loops C2 vectorizes, copied out once.
            float[] row = new float[cols];
            short[] halves = target == WeightType.F32 ? null : new short[cols];
            for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) {
                WeightRows.widen(source, r, 0, cols, row, 0);
                long at = (long) r * cols;
                switch (target) {
                    case F32 -> MemorySegment.copy(row, 0, out, WeightMatrix.F32_LE, at * 4, cols);
                    case F16 -> {
                        for (int c = 0; c < cols; c++) {
                            halves[c] = Float.floatToFloat16(row[c]);
                        }
                        MemorySegment.copy(halves, 0, out, WeightMatrix.I16_LE, at * 2, cols);
                    }
                    case BF16 -> {
                        for (int c = 0; c < cols; c++) {
                            halves[c] = toBf16RoundedToNearestEven(row[c]);
                        }
                        MemorySegment.copy(halves, 0, out, WeightMatrix.I16_LE, at * 2, cols);
                    }
                    default -> throw new AssertionError(target);
                }
            }
        });
        WeightMatrix converted = WeightMatrix.dense(target, rows, cols, out);
        return target == WeightType.F16 ? liftF16(converted, parallel) : converted;
    }

    /**
     * {@code source} copied into memory of {@code arena} with the same type and values, rows
     * packed without stride padding and spread over threads: the same bits, except that an F16
     * copy is lifted where it can be ({@link #liftF16}: the same values, stored times 2^10). Why copy a memory-mapped matrix at all: on
     * the 2-core VM of docs/BENCHMARKS.md, decode read the same F16 weights at 15-19 GB/s from
     * the checkpoint's mapping (page cache) and at 20-22 GB/s from a private copy, back to back.
     */
    public static WeightMatrix copy(WeightMatrix source, Arena arena, Parallel parallel) {
        int rows = source.rows();
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        long strideBytes = source.rowStride() * WeightMatrix.bytesPerElement(source.type());
        // Q8_0 rows keep their stride: it is the whole blocks the kernels read.
        long rowBytes = source.type() == WeightType.Q8_0 ? strideBytes : (long) source.cols() * WeightMatrix.bytesPerElement(source.type());
        MemorySegment out = LargePages.allocate(arena, Math.max(1, rows * rowBytes));
        parallel.forEach(tasks, t -> {
            for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) {
                MemorySegment.copy(source.data(), r * strideBytes, out, r * rowBytes, rowBytes);
            }
        });
        if (source.type() == WeightType.F16) {
            return source.f16ScaleLog2() == 0 ? liftF16(WeightMatrix.dense(WeightType.F16, rows, source.cols(), out), parallel)
                    : WeightMatrix.liftedF16(rows, source.cols(), out);
        }
        if (source.type() != WeightType.Q8_0) {
            return WeightMatrix.dense(source.type(), rows, source.cols(), out);
        }
        long scaleBytes = (long) rows * WeightMatrix.blocksPerRow(source.cols()) * 4;
        MemorySegment scales = arena.allocate(Math.max(4, scaleBytes), 64);
        MemorySegment.copy(source.scales(), 0, scales, 0, scaleBytes);
        return new WeightMatrix(WeightType.Q8_0, rows, source.cols(), source.rowStride(), out, scales);
    }

    /**
     * A dense, unlifted F16 matrix in memory this class just allocated, lifted in place when every
     * half is finite and below 64 in magnitude: each half becomes the half of its value times
     * 2^{@value WeightMatrix#F16_LIFT}, which is exact (a normal half's exponent grows by 10; a
     * subnormal m * 2^-24 becomes the normal m * 2^-14), and the matrix says so
     * ({@link WeightMatrix#f16ScaleLog2}), so every kernel reads the same values. Otherwise the
     * matrix as it is.
     *
     * <p>Why: the F16 GEMV widens halves in registers exactly only when their exponent is nonzero,
     * and subtracts a correction for the zero-exponent columns afterwards ({@link F16Profile}),
     * which cost about 5% of F16 decode (docs/BENCHMARKS.md, fifth pass). A lifted matrix has no
     * subnormal halves left, so only its exact zeros are listed, and Gaussian-like weights list none.
     */
    static WeightMatrix liftF16(WeightMatrix w, Parallel parallel) {
        if (!LIFT) {
            return w;
        }
        int rows = w.rows();
        int cols = w.cols();
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        MemorySegment data = w.data();
        boolean[] liftable = new boolean[tasks];
        parallel.forEach(tasks, t -> {
            boolean all = true;
            for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end && all; r++) {
                all = F16Profile.largestMagnitudeBits(data.asSlice((long) r * cols * 2, cols * 2L), cols) < LIFT_BELOW;
            }
            liftable[t] = all;
        });
        for (boolean ok : liftable) {
            if (!ok) {
                return w;
            }
        }
        float lift = Math.scalb(1f, WeightMatrix.F16_LIFT);
        parallel.forEach(tasks, t -> {
            short[] halves = new short[cols];
            for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) {
                long at = (long) r * cols * 2;
                MemorySegment.copy(data, WeightMatrix.I16_LE, at, halves, 0, cols);
                for (int c = 0; c < cols; c++) {
                    halves[c] = Float.floatToFloat16(Float.float16ToFloat(halves[c]) * lift);
                }
                MemorySegment.copy(halves, 0, data, WeightMatrix.I16_LE, at, cols);
            }
        });
        return WeightMatrix.liftedF16(rows, cols, data);
    }

    private static void quantizeRow(WeightMatrix source, int r, float[] row, byte[] quantized, MemorySegment q, MemorySegment s,
            long stride, int blocks) {
        int cols = source.cols();
        WeightRows.widen(source, r, 0, cols, row, 0);
        Arrays.fill(row, cols, row.length, 0f);
        for (int b = 0; b < blocks; b++) {
            // max |x| of the block with 32 / L vectors: max is exact and order-free, so this is the
            // scalar Math.max loop's value (NaN included), without its serial chain of compares.
            FloatVector m = FloatVector.fromArray(F, row, b * WeightMatrix.Q8_BLOCK).abs();
            for (int j = F.length(); j < WeightMatrix.Q8_BLOCK; j += F.length()) {
                m = m.max(FloatVector.fromArray(F, row, b * WeightMatrix.Q8_BLOCK + j).abs());
            }
            float amax = Math.max(0f, m.reduceLanes(VectorOperators.MAX));
            float scale = amax / 127f;
            float inverse = scale == 0 ? 0 : 1f / scale;
            s.set(WeightMatrix.F32_LE, ((long) r * blocks + b) * 4, scale);
            for (int i = 0; i < WeightMatrix.Q8_BLOCK; i++) {
                quantized[b * WeightMatrix.Q8_BLOCK + i] = (byte) Math.round(row[b * WeightMatrix.Q8_BLOCK + i] * inverse);
            }
        }
        MemorySegment.copy(quantized, 0, q, ValueLayout.JAVA_BYTE, r * stride, blocks * WeightMatrix.Q8_BLOCK);
    }

    static short toBf16RoundedToNearestEven(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
