package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = W · x (+ bias)} for one activation row (decode). Memory-bandwidth bound: every
 * weight byte is read exactly once, widened in registers (no intermediate buffer), with four
 * independent accumulators per row so loads, not FMA latency, set the pace. Threads take
 * 32-row slices of W from a shared counter.
 */
public final class Gemv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> H = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final int ROWS_PER_TASK = 32;
    private static final int F16_CHUNK = 512;

    private Gemv() {}

    /** y[j] = sum_k W[j, k] * x[k] (+ bias[j]) for j < w.rows(); x holds k floats, y receives w.rows() floats. */
    public static void matvec(MemorySegment x, int k, WeightMatrix w, float[] bias, MemorySegment y, Parallel parallel) {
        GemmReference.checkArguments(x, 1, k, k, w, bias, y, w.rows());
        float[] xs = Scratch.floats(Scratch.GEMV_INPUT, k);
        MemorySegment.copy(x, F32, 0, xs, 0, k);
        int n = w.rows();
        parallel.forEach((n + ROWS_PER_TASK - 1) / ROWS_PER_TASK, t -> {
            int end = Math.min(n, (t + 1) * ROWS_PER_TASK);
            for (int row = t * ROWS_PER_TASK; row < end; row++) {
                float dot = switch (w.type()) {
                    case F32 -> dotF32(w, row, xs, k);
                    case BF16 -> dotBf16(w, row, xs, k);
                    case F16 -> dotF16(w, row, xs, k);
                    case Q8_0 -> dotQ8(w, row, xs, k);
                };
                y.set(F32, row * 4L, bias == null ? dot : dot + bias[row]);
            }
        });
    }

    private static float dotF32(WeightMatrix w, int row, float[] x, int k) {
        MemorySegment d = w.data();
        long base = row * w.rowStride() * 4;
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int i = 0;
        for (int upper = k - 63; i < upper; i += 64) {
            s0 = FloatVector.fromMemorySegment(F, d, base + i * 4L, LE).fma(FloatVector.fromArray(F, x, i), s0);
            s1 = FloatVector.fromMemorySegment(F, d, base + (i + 16) * 4L, LE).fma(FloatVector.fromArray(F, x, i + 16), s1);
            s2 = FloatVector.fromMemorySegment(F, d, base + (i + 32) * 4L, LE).fma(FloatVector.fromArray(F, x, i + 32), s2);
            s3 = FloatVector.fromMemorySegment(F, d, base + (i + 48) * 4L, LE).fma(FloatVector.fromArray(F, x, i + 48), s3);
        }
        float sum = Lanes.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < k; i++) {
            sum += d.get(F32, base + i * 4L) * x[i];
        }
        return sum;
    }

    private static float dotBf16(WeightMatrix w, int row, float[] x, int k) {
        MemorySegment d = w.data();
        long base = row * w.rowStride() * 2;
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int i = 0;
        for (int upper = k - 63; i < upper; i += 64) {
            s0 = bf16(d, base + i * 2L).fma(FloatVector.fromArray(F, x, i), s0);
            s1 = bf16(d, base + (i + 16) * 2L).fma(FloatVector.fromArray(F, x, i + 16), s1);
            s2 = bf16(d, base + (i + 32) * 2L).fma(FloatVector.fromArray(F, x, i + 32), s2);
            s3 = bf16(d, base + (i + 48) * 2L).fma(FloatVector.fromArray(F, x, i + 48), s3);
        }
        float sum = Lanes.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < k; i++) {
            sum += w.get(row, i) * x[i];
        }
        return sum;
    }

    private static FloatVector bf16(MemorySegment d, long offset) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(H, d, offset, LE).convertShape(VectorOperators.S2I, IntVector.SPECIES_512, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * F16 rows are widened a chunk at a time into a per-thread buffer (in L1) and then dotted as
     * F32: the branch-free conversion is long enough that fusing it into the FMA loop kept the JIT
     * from inlining it, which cost 4x.
     */
    private static float dotF16(WeightMatrix w, int row, float[] x, int k) {
        float[] chunk = Scratch.floats(Scratch.GEMV_F16_CHUNK, F16_CHUNK);
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
        float tail = 0;
        for (int c0 = 0; c0 < k; c0 += F16_CHUNK) {
            int len = Math.min(F16_CHUNK, k - c0);
            WeightRows.widen(w, row, c0, len, chunk, 0);
            int i = 0;
            for (int upper = len - 31; i < upper; i += 32) {
                s0 = FloatVector.fromArray(F, chunk, i).fma(FloatVector.fromArray(F, x, c0 + i), s0);
                s1 = FloatVector.fromArray(F, chunk, i + 16).fma(FloatVector.fromArray(F, x, c0 + i + 16), s1);
            }
            for (; i < len; i++) {
                tail += chunk[i] * x[c0 + i];
            }
        }
        return Lanes.sum(s0.add(s1)) + tail;
    }

    private static float dotQ8(WeightMatrix w, int row, float[] x, int k) {
        MemorySegment d = w.data();
        MemorySegment scales = w.scales();
        long base = row * w.rowStride();
        long scaleBase = (long) row * WeightMatrix.blocksPerRow(k) * 4;
        FloatVector total = FloatVector.zero(F);
        int blocks = k / WeightMatrix.Q8_BLOCK;
        for (int b = 0; b < blocks; b++) {
            int i = b * WeightMatrix.Q8_BLOCK;
            // Sum the block's two 16-lane products unscaled, then scale once per block.
            FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B, d, base + i, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B, d, base + i + 16, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector block = q0.mul(FloatVector.fromArray(F, x, i)).add(q1.mul(FloatVector.fromArray(F, x, i + 16)));
            total = block.fma(FloatVector.broadcast(F, scales.get(F32, scaleBase + b * 4L)), total);
        }
        float sum = Lanes.sum(total);
        for (int i = blocks * WeightMatrix.Q8_BLOCK; i < k; i++) {
            sum += w.get(row, i) * x[i];
        }
        return sum;
    }
}
