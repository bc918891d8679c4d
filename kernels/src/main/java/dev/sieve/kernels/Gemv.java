package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code y = W · x (+ bias)} for one activation row (decode). Memory-bandwidth bound: every
 * weight byte is read once. Rows go four at a time through a per-type kernel ({@link GemvDense},
 * {@link GemvF16}, {@link GemvQ8}) so each load of x feeds four FMAs and four weight streams are
 * in flight. Threads take 32-row slices of W from a shared counter.
 *
 * <p>Reproducibility: each row's arithmetic (its accumulators, their order, the fixed-order
 * {@link Lanes#sum} and the scalar tail) does not depend on which other rows share its group or
 * thread. A last group with fewer than four rows repeats its last row and drops the extra
 * results, so every row goes through the same four-row code. A row is never split across threads.
 */
public final class Gemv {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int GROUP = 4;
    private static final int ROWS_PER_TASK = 32;

    private Gemv() {}

    /** y[j] = sum_k W[j, k] * x[k] (+ bias[j]) for j < w.rows(); x holds k floats, y receives w.rows() floats. */
    public static void matvec(MemorySegment x, int k, WeightMatrix w, float[] bias, MemorySegment y, Parallel parallel) {
        GemmReference.checkArguments(x, 1, k, k, w, bias, y, w.rows());
        float[] xs = Scratch.floats(Scratch.GEMV_INPUT, k);
        MemorySegment.copy(x, F32, 0, xs, 0, k);
        // F16: the matrix's profile (scanned on first use) and x times 2^16 once per call, so the kernel's widening needs no multiply (see GemvF16).
        F16Profile profile = w.type() == WeightType.F16 ? w.f16Profile(parallel) : null;
        float[] scaled = profile != null ? GemvF16.scaledInput(w, profile, xs, k) : null;
        int n = w.rows();
        parallel.forEach((n + ROWS_PER_TASK - 1) / ROWS_PER_TASK, t -> {
            float[] out = Scratch.floats(Scratch.GEMV_GROUP_OUTPUT, GROUP);
            int end = Math.min(n, (t + 1) * ROWS_PER_TASK);
            for (int row = t * ROWS_PER_TASK; row < end; row += GROUP) {
                int last = Math.min(end, row + GROUP) - 1;
                int r1 = Math.min(row + 1, last), r2 = Math.min(row + 2, last), r3 = Math.min(row + 3, last);
                switch (w.type()) {
                    case F32 -> GemvDense.dotF32(w, row, r1, r2, r3, xs, k, out);
                    case BF16 -> GemvDense.dotBf16(w, row, r1, r2, r3, xs, k, out);
                    case F16 -> GemvF16.dot(w, profile, row, r1, r2, r3, xs, scaled, k, out);
                    case Q8_0 -> GemvQ8.dot(w, row, r1, r2, r3, xs, k, out);
                }
                for (int j = row; j <= last; j++) {
                    float dot = out[j - row];
                    y.set(F32, j * 4L, bias == null ? dot : dot + bias[j]);
                }
            }
        });
    }

    /**
     * One row's bytes as their own segment. Kernels index rows through these slices with offsets
     * from 0 rather than the whole matrix with row base + offset: C2 then proves the accesses in
     * bounds once per call, where with base + offset it re-derived the range checks inside the
     * loop (cmov chains around every load, seen with -XX:+PrintAssembly; see GemvQ8 for the gain).
     */
    static MemorySegment row(MemorySegment data, long offset, long bytes) {
        return data.asSlice(offset, bytes);
    }

    /** out[r] = the fixed-order sum of the {@link Simd#L} lanes stored at lanes[L r] + row r's scalar tail from {@code from}. */
    static void finish(WeightMatrix w, int r0, int r1, int r2, int r3, float[] x, int from, int k, float[] lanes, float[] out) {
        int n = Simd.L;
        out[0] = Lanes.sumStored(lanes, 0, n) + tail(w, r0, x, from, k);
        out[1] = Lanes.sumStored(lanes, n, n) + tail(w, r1, x, from, k);
        out[2] = Lanes.sumStored(lanes, 2 * n, n) + tail(w, r2, x, from, k);
        out[3] = Lanes.sumStored(lanes, 3 * n, n) + tail(w, r3, x, from, k);
    }

    /** Sum of W[row, from..k) * x[from..k) in order: the scalar tail every GEMV kernel shares. */
    static float tail(WeightMatrix w, int row, float[] x, int from, int k) {
        float sum = 0;
        for (int i = from; i < k; i++) {
            sum += w.get(row, i) * x[i];
        }
        return sum;
    }
}
