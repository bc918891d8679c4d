package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise SIMD kernels over F32 segments (residual adds, products, scaling, bias rows). In
 * every kernel {@code out} may be the very same memory as an input (in-place use); partially
 * overlapping arguments are not supported. Scalar twins: {@link ElementwiseReference}.
 */
public final class Elementwise {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat F32 = WeightMatrix.F32_LE;

    private Elementwise() {
    }

    /** {@code out[i] = a[i] + b[i]} for n floats (the residual add; {@code out} may alias {@code a} or {@code b}). */
    public static void add(MemorySegment a, MemorySegment b, MemorySegment out, int n) {
        checkFloats(a, n, "a");
        checkFloats(b, n, "b");
        checkFloats(out, n, "out");
        final int lanes = SPECIES.length();
        final int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = (long) i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, a, off, LE);
            FloatVector y = FloatVector.fromMemorySegment(SPECIES, b, off, LE);
            x.add(y).intoMemorySegment(out, off, LE);
        }
        for (; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(F32, off, a.get(F32, off) + b.get(F32, off));
        }
    }

    /** {@code out[i] = a[i] * b[i]} for n floats ({@code out} may alias {@code a} or {@code b}). */
    public static void mul(MemorySegment a, MemorySegment b, MemorySegment out, int n) {
        checkFloats(a, n, "a");
        checkFloats(b, n, "b");
        checkFloats(out, n, "out");
        final int lanes = SPECIES.length();
        final int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = (long) i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, a, off, LE);
            FloatVector y = FloatVector.fromMemorySegment(SPECIES, b, off, LE);
            x.mul(y).intoMemorySegment(out, off, LE);
        }
        for (; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(F32, off, a.get(F32, off) * b.get(F32, off));
        }
    }

    /** {@code out[i] = x[i] * s} for n floats ({@code out} may alias {@code x}). */
    public static void scale(MemorySegment x, float s, MemorySegment out, int n) {
        checkFloats(x, n, "x");
        checkFloats(out, n, "out");
        final int lanes = SPECIES.length();
        final int bound = SPECIES.loopBound(n);
        final FloatVector sv = FloatVector.broadcast(SPECIES, s);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = (long) i * Float.BYTES;
            FloatVector.fromMemorySegment(SPECIES, x, off, LE).mul(sv).intoMemorySegment(out, off, LE);
        }
        for (; i < n; i++) {
            long off = (long) i * Float.BYTES;
            out.set(F32, off, x.get(F32, off) * s);
        }
    }

    /**
     * In place, {@code x[r, c] += bias[c]} for each of {@code rows} rows of {@code dim} floats,
     * rows {@code stride} floats apart.
     */
    public static void addBias(MemorySegment x, int rows, int dim, long stride, float[] bias) {
        checkRows(x, rows, dim, stride, "x");
        checkParams(bias, dim, "bias");
        for (int r = 0; r < rows; r++) {
            addBiasRow(x, (long) r * stride * Float.BYTES, dim, bias);
        }
    }

    /** {@link #addBias(MemorySegment, int, int, long, float[])} with the rows spread over {@code parallel}. */
    public static void addBias(Parallel parallel, MemorySegment x, int rows, int dim, long stride, float[] bias) {
        checkRows(x, rows, dim, stride, "x");
        checkParams(bias, dim, "bias");
        int chunk = rowChunk(rows, dim, parallel);
        int tasks = (rows + chunk - 1) / chunk;
        parallel.forEach(tasks, t -> {
            int end = Math.min(rows, (t + 1) * chunk);
            for (int r = t * chunk; r < end; r++) {
                addBiasRow(x, (long) r * stride * Float.BYTES, dim, bias);
            }
        });
    }

    private static void addBiasRow(MemorySegment x, long base, int dim, float[] bias) {
        final int lanes = SPECIES.length();
        final int bound = SPECIES.loopBound(dim);
        int i = 0;
        for (; i < bound; i += lanes) {
            long off = base + (long) i * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, x, off, LE);
            v.add(FloatVector.fromArray(SPECIES, bias, i)).intoMemorySegment(x, off, LE);
        }
        for (; i < dim; i++) {
            long off = base + (long) i * Float.BYTES;
            x.set(F32, off, x.get(F32, off) + bias[i]);
        }
    }

    // ---- argument checks shared by the kernels of this package ----

    static void checkFloats(MemorySegment s, long n, String name) {
        if (n < 0) {
            throw new IllegalArgumentException("negative length " + n);
        }
        if (s.byteSize() < n * Float.BYTES) {
            throw new IllegalArgumentException(name + " holds " + s.byteSize() / Float.BYTES + " floats, need " + n);
        }
    }

    static void checkRows(MemorySegment s, int rows, int dim, long stride, String name) {
        if (rows < 0 || dim < 0 || stride < dim) {
            throw new IllegalArgumentException("bad geometry for " + name + ": rows=" + rows + " dim=" + dim + " stride=" + stride);
        }
        if (rows > 0) {
            checkFloats(s, (rows - 1L) * stride + dim, name);
        }
    }

    static void checkParams(float[] p, int dim, String name) {
        if (p == null || p.length < dim) {
            throw new IllegalArgumentException(name + " needs " + dim + " floats, has " + (p == null ? "none" : p.length));
        }
    }

    /** Rows per task so that a task covers at least ~16k floats (or one row). */
    static int rowChunk(int rows, int dim, Parallel parallel) {
        int byWork = Math.max(1, (1 << 14) / Math.max(1, dim));
        int byThreads = Math.max(1, (rows + 4 * parallel.threads() - 1) / (4 * parallel.threads()));
        return Math.max(1, Math.min(Math.max(byWork, byThreads), rows));
    }
}
