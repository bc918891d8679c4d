package dev.sieve.llava.api;

import dev.sieve.llava.Llava;
import dev.sieve.llava.ModelException;
import dev.sieve.llava.Sequence;
import dev.sieve.runtime.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching on one thread that owns the model: between two decode steps, waiting requests are
 * prefilled (each with its own pruning and KV cache) and join the batch; every step decodes one token for
 * all running requests in one pass over the weights; a request that is finished or cancelled leaves at once.
 */
final class Scheduler implements AutoCloseable {
    private final Llava llava;
    private final Ops ops;
    private final int maxBatch;
    private final LinkedBlockingQueue<Job> waiting = new LinkedBlockingQueue<>();
    private final List<Job> running = new ArrayList<>();
    private final Thread worker;
    private volatile boolean closed;
    private volatile int runningCount;

    Scheduler(Llava llava, Ops ops, int maxBatch) {
        this.llava = llava;
        this.ops = ops;
        this.maxBatch = maxBatch;
        this.worker = Thread.ofPlatform().name("sieve-scheduler").daemon().start(this::loop);
    }

    void submit(Job job) {
        if (closed) {
            throw new SieveException(SieveException.Kind.UNAVAILABLE, null, "the model is closed");
        }
        waiting.add(job);
    }

    int waiting() {
        return waiting.size();
    }

    int running() {
        return runningCount;
    }

    private void loop() {
        try {
            while (!closed) {
                admit();
                if (!running.isEmpty()) {
                    step();
                }
                runningCount = running.size();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            SieveException gone = new SieveException(SieveException.Kind.UNAVAILABLE, null, "the model was closed");
            running.forEach(j -> j.fail(gone));
            running.clear();
            for (Job j; (j = waiting.poll()) != null; ) {
                j.fail(gone);
            }
        }
    }

    /** Prefills waiting requests into free places; blocks while nothing runs and nothing waits. */
    private void admit() throws InterruptedException {
        while (running.size() < maxBatch) {
            Job job = running.isEmpty() ? waiting.poll(200, TimeUnit.MILLISECONDS) : waiting.poll();
            if (job == null) {
                return;
            }
            if (job.cancelled()) {
                job.finish();
                continue;
            }
            job.admittedNanos = System.nanoTime();
            try {
                job.sequence = llava.start(job.request, job.maxTokens, ops);
            } catch (ModelException | IllegalArgumentException e) {
                job.fail(SieveException.invalid(e.getMessage().contains("max_position_embeddings") ? "max_tokens" : "prompt",
                        e.getMessage()));
                continue;
            } catch (RuntimeException | Error e) {
                job.fail(new IllegalStateException("prefill failed: " + Images.oneLine(e), e));
                continue;
            }
            if (job.next()) {
                job.finish();
            } else {
                running.add(job);
            }
            runningCount = running.size();
        }
    }

    private void step() {
        // Finished jobs leave the batch (and the running count) before their answers complete, so a caller that
        // reads the count after its answer never sees itself still running.
        List<Job> finished = new ArrayList<>();
        running.removeIf(j -> j.cancelled() && finished.add(j));
        if (!running.isEmpty()) {
            List<Sequence> sequences = running.stream().map(j -> j.sequence).toList();
            long t0 = System.nanoTime();
            try {
                Sequence.step(sequences, ops);
            } catch (RuntimeException | Error e) {
                IllegalStateException failure = new IllegalStateException("decode failed: " + Images.oneLine(e), e);
                running.forEach(j -> j.fail(failure));
                running.clear();
                runningCount = 0;
                return;
            }
            long nanos = System.nanoTime() - t0;
            running.removeIf(j -> {
                j.sequence.addDecodeNanos(nanos);
                return j.next() && finished.add(j);
            });
        }
        runningCount = running.size();
        finished.forEach(Job::finish);
    }

    @Override
    public void close() {
        closed = true;
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
