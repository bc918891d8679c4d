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
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

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
        return WeightMatrix.dense(target, rows, cols, out);
    }

    /**
     * {@code source} copied as it is (same type and bits, rows packed without stride padding) into
     * memory of {@code arena}, rows spread over threads. Why copy a memory-mapped matrix at all: on
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
        if (source.type() != WeightType.Q8_0) {
            return WeightMatrix.dense(source.type(), rows, source.cols(), out);
        }
        long scaleBytes = (long) rows * WeightMatrix.blocksPerRow(source.cols()) * 4;
        MemorySegment scales = arena.allocate(Math.max(4, scaleBytes), 64);
        MemorySegment.copy(source.scales(), 0, scales, 0, scaleBytes);
        return new WeightMatrix(WeightType.Q8_0, rows, source.cols(), source.rowStride(), out, scales);
    }

    private static void quantizeRow(WeightMatrix source, int r, float[] row, byte[] quantized, MemorySegment q, MemorySegment s,
            long stride, int blocks) {
        int cols = source.cols();
        WeightRows.widen(source, r, 0, cols, row, 0);
        Arrays.fill(row, cols, row.length, 0f);
        for (int b = 0; b < blocks; b++) {
            // max |x| of the block with two vectors: max is exact and order-free, so this is the
            // scalar Math.max loop's value (NaN included), without its serial chain of compares.
            FloatVector v0 = FloatVector.fromArray(F, row, b * WeightMatrix.Q8_BLOCK).abs();
            FloatVector v1 = FloatVector.fromArray(F, row, b * WeightMatrix.Q8_BLOCK + 16).abs();
            float amax = Math.max(0f, v0.max(v1).reduceLanes(VectorOperators.MAX));
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
