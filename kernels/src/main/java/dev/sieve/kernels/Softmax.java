package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.LE;
import static dev.sieve.kernels.Elementwise.SPECIES;
import static dev.sieve.kernels.Elementwise.checkRows;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Numerically stable softmax over each row of {@code [rows, n]} (rows {@code stride} floats
 * apart), in place, SIMD: subtract the row maximum, exponentiate ({@link Exp}, reproducible in every JIT tier),
 * divide by the sum (as a multiplication by its float reciprocal). {@code -inf} entries (masked
 * attention scores) become 0; a row that is entirely {@code -inf} becomes NaN, as in PyTorch.
 * Scalar twin: {@link SoftmaxReference}.
 */
public final class Softmax {
    private Softmax() {
    }

    /** Softmax of each row in place. */
    public static void softmax(MemorySegment x, int rows, int n, long stride) {
        checkRows(x, rows, n, stride, "x");
        for (int r = 0; r < rows; r++) {
            softmaxRow(x, (long) r * stride * Float.BYTES, n);
        }
    }

    /** {@link #softmax(MemorySegment, int, int, long)} with rows spread over {@code parallel}. */
    public static void softmax(Parallel parallel, MemorySegment x, int rows, int n, long stride) {
        checkRows(x, rows, n, stride, "x");
        int chunk = Elementwise.rowChunk(rows, n, parallel);
        parallel.forEach((rows + chunk - 1) / chunk, t -> {
            int end = Math.min(rows, (t + 1) * chunk);
            for (int r = t * chunk; r < end; r++) {
                softmaxRow(x, (long) r * stride * Float.BYTES, n);
            }
        });
    }

    /** Softmax in place of the {@code n} floats starting at byte offset {@code base} of {@code x}. */
    static void softmaxRow(MemorySegment x, long base, int n) {
        if (n == 0) {
            return;
        }
        final int lanes = SPECIES.length();
        final int bound = SPECIES.loopBound(n);
        final boolean tail = bound < n;
        final VectorMask<Float> m = SPECIES.indexInRange(bound, n);
        final long tailOff = base + (long) bound * Float.BYTES;
        // pass 1: maximum
        FloatVector mx = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < bound; i += lanes) {
            mx = mx.max(FloatVector.fromMemorySegment(SPECIES, x, base + (long) i * Float.BYTES, LE));
        }
        if (tail) {
            mx = mx.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(SPECIES, x, tailOff, LE, m), m);
        }
        final FloatVector maxV = FloatVector.broadcast(SPECIES, mx.reduceLanes(VectorOperators.MAX));
        // pass 2: exponentiate, store, sum
        FloatVector sum = FloatVector.zero(SPECIES);
        for (int i = 0; i < bound; i += lanes) {
            long off = base + (long) i * Float.BYTES;
            FloatVector e = Exp.exp(FloatVector.fromMemorySegment(SPECIES, x, off, LE).sub(maxV));
            e.intoMemorySegment(x, off, LE);
            sum = sum.add(e);
        }
        if (tail) {
            FloatVector e = Exp.exp(FloatVector.fromMemorySegment(SPECIES, x, tailOff, LE, m).sub(maxV));
            e.intoMemorySegment(x, tailOff, LE, m);
            sum = sum.add(e, m);
        }
        // pass 3: normalise
        final FloatVector inv = FloatVector.broadcast(SPECIES, 1f / Lanes.sum(sum));
        for (int i = 0; i < bound; i += lanes) {
            long off = base + (long) i * Float.BYTES;
            FloatVector.fromMemorySegment(SPECIES, x, off, LE).mul(inv).intoMemorySegment(x, off, LE);
        }
        if (tail) {
            FloatVector.fromMemorySegment(SPECIES, x, tailOff, LE, m).mul(inv).intoMemorySegment(x, tailOff, LE, m);
        }
    }
}
