package dev.sieve.llava.api;

import dev.sieve.llava.Llava;
import dev.sieve.llava.Sequence;
import java.util.concurrent.CompletableFuture;

/** One submitted request inside the {@link Scheduler}: what to run, its text so far, and where its answer goes. */
final class Job implements SieveCall {
    /** What the facade makes of a finished job's generation. */
    interface Result {
        SieveAnswer answer(Job job, Llava.Generation generation);
    }

    final Llava.Request request;
    final int maxTokens;
    final TextStream text;
    final long submittedNanos = System.nanoTime();
    private final Result result;
    private final CompletableFuture<SieveAnswer> answer = new CompletableFuture<>();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private volatile boolean cancelled;
    Sequence sequence;
    long admittedNanos;
    long firstTokenNanos;
    String finishReason;

    Job(Llava.Request request, int maxTokens, TextStream text, Result result) {
        this.request = request;
        this.maxTokens = maxTokens;
        this.text = text;
        this.result = result;
    }

    @Override
    public CompletableFuture<SieveAnswer> answer() {
        return answer;
    }

    @Override
    public CompletableFuture<Void> started() {
        return started;
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled || answer.isDone();
    }

    /** Chooses the next token; returns true when the job is finished. A listener that throws cancels the job. */
    boolean next() {
        int token = sequence.choose();
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
            started.complete(null);
        }
        boolean done;
        try {
            done = text.add(token);
        } catch (RuntimeException e) {
            cancelled = true;
            return true;
        }
        if (done) {
            finishReason = "stop";
        } else if (sequence.full()) {
            finishReason = "length";
            done = true;
        }
        return done;
    }

    /** Completes the answer (or the cancellation) and frees the KV cache. */
    void finish() {
        try {
            if (cancelled) {
                fail(new SieveException(SieveException.Kind.CANCELLED, null, "the request was cancelled"));
                return;
            }
            answer.complete(result.answer(this, sequence.generation()));
        } catch (RuntimeException e) {
            fail(e);
        } finally {
            close();
        }
    }

    void fail(RuntimeException e) {
        started.completeExceptionally(e);
        answer.completeExceptionally(e);
        close();
    }

    private void close() {
        if (sequence != null) {
            sequence.close();
        }
    }
}
