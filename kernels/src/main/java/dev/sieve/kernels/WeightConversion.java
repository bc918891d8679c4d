package dev.sieve.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Converts a weight matrix to another storage type into new memory, rows spread over threads
 * (each row is converted by one thread and depends on nothing else, so the result is the same
 * for any thread count). F16 and BF16 round to nearest even; Q8_0 quantizes each block of 32 as
 * llama.cpp does (scale = max|x| / 127, q = round(x / scale)); F32 widens.
 */
public final class WeightConversion {
    private static final int ROWS_PER_TASK = 16;

    private WeightConversion() {}

    /** {@code source} stored as {@code target} in memory of {@code arena} (which must allow access from the pool's threads). */
    public static WeightMatrix convert(WeightMatrix source, WeightType target, Arena arena, Parallel parallel) {
        int rows = source.rows();
        int cols = source.cols();
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        if (target == WeightType.Q8_0) {
            int blocks = WeightMatrix.blocksPerRow(cols);
            long stride = (long) blocks * WeightMatrix.Q8_BLOCK;
            MemorySegment q = arena.allocate(Math.max(1, rows * stride), 64);
            MemorySegment s = arena.allocate(Math.max(4, (long) rows * blocks * 4), 64);
            parallel.forEach(tasks, t -> {
                float[] row = new float[blocks * WeightMatrix.Q8_BLOCK];
                for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) {
                    quantizeRow(source, r, row, q, s, stride, blocks);
                }
            });
            return new WeightMatrix(WeightType.Q8_0, rows, cols, stride, q, s);
        }
        MemorySegment out = arena.allocate(Math.max(1, (long) rows * cols * WeightMatrix.bytesPerElement(target)), 64);
        parallel.forEach(tasks, t -> {
            for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) {
                for (int c = 0; c < cols; c++) {
                    long i = (long) r * cols + c;
                    float v = source.get(r, c);
                    switch (target) {
                        case F32 -> out.set(WeightMatrix.F32_LE, i * 4, v);
                        case F16 -> out.set(WeightMatrix.I16_LE, i * 2, Float.floatToFloat16(v));
                        case BF16 -> out.set(WeightMatrix.I16_LE, i * 2, toBf16RoundedToNearestEven(v));
                        default -> throw new AssertionError(target);
                    }
                }
            }
        });
        return WeightMatrix.dense(target, rows, cols, out);
    }

    private static void quantizeRow(WeightMatrix source, int r, float[] row, MemorySegment q, MemorySegment s, long stride, int blocks) {
        int cols = source.cols();
        for (int c = 0; c < cols; c++) {
            row[c] = source.get(r, c);
        }
        Arrays.fill(row, cols, row.length, 0f);
        for (int b = 0; b < blocks; b++) {
            float amax = 0;
            for (int i = 0; i < WeightMatrix.Q8_BLOCK; i++) {
                amax = Math.max(amax, Math.abs(row[b * WeightMatrix.Q8_BLOCK + i]));
            }
            float scale = amax / 127f;
            float inverse = scale == 0 ? 0 : 1f / scale;
            s.set(WeightMatrix.F32_LE, ((long) r * blocks + b) * 4, scale);
            for (int i = 0; i < WeightMatrix.Q8_BLOCK; i++) {
                q.set(ValueLayout.JAVA_BYTE, r * stride + b * WeightMatrix.Q8_BLOCK + i,
                        (byte) Math.round(row[b * WeightMatrix.Q8_BLOCK + i] * inverse));
            }
        }
    }

    static short toBf16RoundedToNearestEven(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
