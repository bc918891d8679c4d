package dev.sieve.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * A fixed set of worker threads that kernels split their work over. {@link #forEach} hands out
 * task indices from a shared counter (so uneven tasks balance themselves), the calling thread
 * works too, and the call returns when every task is done. A call made from inside a task runs
 * serially in that thread, so kernels may nest without deadlock.
 */
public final class Parallel implements AutoCloseable {
    private static final ThreadLocal<Boolean> INSIDE_TASK = ThreadLocal.withInitial(() -> false);
    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final ExecutorService workers;

    private Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "sieve-kernel");
            t.setDaemon(true);
            return t;
        });
    }

    /** A pool of {@code threads} threads in all (the caller counts as one). */
    public static Parallel create(int threads) {
        return threads == 1 ? SERIAL : new Parallel(threads);
    }

    /** One thread per available processor. */
    public static Parallel allCores() {
        return create(Runtime.getRuntime().availableProcessors());
    }

    /** Runs everything in the calling thread. */
    public static Parallel serial() {
        return SERIAL;
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task.accept(i)} for every i in [0, n), spread over the threads; rethrows the first failure. */
    public void forEach(int n, IntConsumer task) {
        if (n <= 0) {
            return;
        }
        if (threads == 1 || n == 1 || INSIDE_TASK.get()) {
            for (int i = 0; i < n; i++) {
                task.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable drain = () -> {
            boolean outer = INSIDE_TASK.get();
            INSIDE_TASK.set(true);
            try {
                for (int i; failure.get() == null && (i = next.getAndIncrement()) < n; ) {
                    task.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                INSIDE_TASK.set(outer);
            }
        };
        int helpers = Math.min(threads, n) - 1;
        Future<?>[] pending = new Future<?>[helpers];
        for (int h = 0; h < helpers; h++) {
            pending[h] = workers.submit(drain);
        }
        drain.run();
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for kernel threads", e);
            } catch (java.util.concurrent.ExecutionException e) {
                failure.compareAndSet(null, e.getCause());
            }
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
