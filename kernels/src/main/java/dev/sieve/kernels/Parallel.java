package dev.sieve.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of worker threads that kernels split their work over. {@link #forEach} hands out
 * task indices from a shared counter (so uneven tasks balance themselves), the calling thread
 * works too, and the call returns when every task is done. A call made from inside a task runs
 * serially in that thread, so kernels may nest without deadlock; so does a call made while
 * another thread's call holds the workers (kernels give the same bits on any thread count).
 *
 * <p>Why not an executor: decode makes ~130 calls per token, each a few milliseconds, and on a
 * virtual machine waking a parked thread took 40-110 µs each way (forEach of two tiny tasks,
 * 2-core VM: 40-67 µs back to back, ~105 µs after 200 µs idle). So workers spin on their slot
 * for {@value #SPIN_MICROS} µs after each job before parking (decode's gaps between calls are mostly shorter), and the caller spins while the
 * last tasks finish: a job starts and ends within a microsecond while work keeps coming.
 */
public final class Parallel implements AutoCloseable {
    /** How long an idle worker spins before it parks. */
    static final long SPIN_MICROS = 50;
    private static final ThreadLocal<Boolean> INSIDE_TASK = ThreadLocal.withInitial(() -> false);
    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final Worker[] workers;
    /** Held by the caller whose job the workers run. */
    private final AtomicBoolean inUse = new AtomicBoolean();

    private Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i], "sieve-kernel-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
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
        if (threads == 1 || n == 1 || INSIDE_TASK.get() || !inUse.compareAndSet(false, true)) {
            for (int i = 0; i < n; i++) {
                task.accept(i);
            }
            return;
        }
        Job job;
        try {
            int helpers = Math.min(threads, n) - 1;
            job = new Job(n, task, helpers);
            for (int h = 0; h < helpers; h++) {
                workers[h].offer(job);
            }
            job.drain();
            job.awaitHelpers();
        } finally {
            inUse.set(false);
        }
        Throwable t = job.failure.get();
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
        for (Worker w : workers) {
            w.closed = true;
            LockSupport.unpark(w.thread);
        }
    }

    /** One forEach call: its task counter, the helpers still running and the first failure. */
    private static final class Job {
        final int n;
        final IntConsumer task;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger helpersRunning;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile Thread waiter;

        Job(int n, IntConsumer task, int helpers) {
            this.n = n;
            this.task = task;
            this.helpersRunning = new AtomicInteger(helpers);
            this.waiter = Thread.currentThread();
        }

        void drain() {
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
        }

        void helperDone() {
            if (helpersRunning.decrementAndGet() == 0) {
                LockSupport.unpark(waiter);
            }
        }

        /** Spins while the helpers finish their last tasks (microseconds), parking only if that takes long. */
        void awaitHelpers() {
            long spinUntil = System.nanoTime() + SPIN_MICROS * 1000;
            while (helpersRunning.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
        }
    }

    /** A worker thread: runs the jobs put in its slot, spinning between them, parking when idle long. */
    private static final class Worker implements Runnable {
        volatile Job slot;
        volatile boolean parked;
        volatile boolean closed;
        Thread thread;

        void offer(Job job) {
            slot = job;
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (!closed) {
                Job job = slot;
                if (job != null) {
                    slot = null;
                    job.drain();
                    job.helperDone();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_MICROS * 1000) {
                    Thread.onSpinWait();
                } else {
                    // Set parked before the last look at the slot: offer writes the slot before it reads parked, so one of the two sees the other.
                    parked = true;
                    if (slot == null && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
