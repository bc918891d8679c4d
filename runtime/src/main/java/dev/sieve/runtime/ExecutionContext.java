package dev.sieve.runtime;

import dev.sieve.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What one model instance needs to run: the worker threads, the backend choice, per-thread scratch
 * buffers and the op counters. Close it to stop the threads and free the native scratch memory.
 *
 * <p>Scratch buffers are per thread and per slot: a kernel running on a worker asks for slot 0 and
 * slot 1 and gets two distinct buffers that no other thread sees, reused on every later call (they
 * only grow), so hot loops never allocate. Two live uses of one slot in the same thread share the
 * buffer, so nested code must use different slots.
 */
public final class ExecutionContext implements AutoCloseable {
    /** Which kernel family the model calls. */
    public enum Backend {
        /** The {@code jdk.incubator.vector} kernels (the default). */
        SIMD,
        /** The plain scalar reference kernels: slow, for debugging and for checking SIMD results. */
        SCALAR
    }

    /** Slots per thread; a fixed small number catches slot-number bugs early. */
    public static final int MAX_SLOTS = 16;

    private final int threads;
    private final Backend backend;
    private final Parallel parallel;
    private final OpCounters counters = new OpCounters();
    // Shared, not confined: scratch segments are allocated on worker threads and the arena is
    // closed from the owner's thread.
    private final Arena scratchArena = Arena.ofShared();
    private final ThreadLocal<float[][]> floatScratch = ThreadLocal.withInitial(() -> new float[MAX_SLOTS][]);
    private final ThreadLocal<MemorySegment[]> segmentScratch = ThreadLocal.withInitial(() -> new MemorySegment[MAX_SLOTS]);
    private volatile boolean closed;

    private ExecutionContext(int threads, Backend backend) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.backend = backend;
        this.parallel = Parallel.create(threads);
    }

    /** One thread per available processor, SIMD kernels. */
    public static ExecutionContext create() {
        return create(Runtime.getRuntime().availableProcessors(), Backend.SIMD);
    }

    /** {@code threads} threads in all (the caller counts as one), SIMD kernels. */
    public static ExecutionContext create(int threads) {
        return create(threads, Backend.SIMD);
    }

    public static ExecutionContext create(int threads, Backend backend) {
        return new ExecutionContext(threads, backend);
    }

    public int threads() {
        return threads;
    }

    public Backend backend() {
        return backend;
    }

    /** The worker pool to hand to kernels. */
    public Parallel parallel() {
        return parallel;
    }

    public OpCounters counters() {
        return counters;
    }

    /**
     * This thread's float buffer for {@code slot}, at least {@code minLength} long (possibly longer;
     * contents are left over from earlier use). The same array comes back until a larger one is asked for.
     */
    public float[] scratchFloats(int slot, int minLength) {
        checkOpen();
        float[][] pool = floatScratch.get();
        float[] a = pool[checkSlot(slot)];
        if (a == null || a.length < minLength) {
            // Grow geometrically so a slowly rising sequence length does not reallocate every step.
            a = new float[grow(a == null ? 0 : a.length, minLength)];
            pool[slot] = a;
        }
        return a;
    }

    /**
     * This thread's native buffer for {@code slot}, at least {@code minBytes} long and 64-byte
     * aligned; valid until {@link #close()}. Outgrown buffers stay allocated until close (at most
     * as much again as the largest one, thanks to doubling).
     */
    public MemorySegment scratchSegment(int slot, long minBytes) {
        checkOpen();
        MemorySegment[] pool = segmentScratch.get();
        MemorySegment s = pool[checkSlot(slot)];
        if (s == null || s.byteSize() < minBytes) {
            long size = s == null ? minBytes : Math.max(minBytes, Math.min(Long.MAX_VALUE / 2, s.byteSize()) * 2);
            s = scratchArena.allocate(Math.max(size, 64), 64);
            pool[slot] = s;
        }
        return s;
    }

    /** Stops the worker threads and frees the native scratch memory (its segments become unusable). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        parallel.close();
        scratchArena.close();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("execution context is closed");
        }
    }

    private static int checkSlot(int slot) {
        if (slot < 0 || slot >= MAX_SLOTS) {
            throw new IllegalArgumentException("scratch slot " + slot + " outside [0, " + MAX_SLOTS + ")");
        }
        return slot;
    }

    private static int grow(int current, int minLength) {
        if (minLength < 0) {
            throw new IllegalArgumentException("negative scratch length " + minLength);
        }
        long doubled = Math.min((long) current * 2, Integer.MAX_VALUE - 8);
        return (int) Math.max(minLength, doubled);
    }
}
