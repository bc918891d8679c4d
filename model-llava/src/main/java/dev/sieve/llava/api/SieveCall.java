package dev.sieve.llava.api;

import java.util.concurrent.CompletableFuture;

/**
 * A request submitted with {@link Sieve#submit}: its answer to come, and a way to give it up. Cancelling
 * frees its place in the batch at the next decode step; the answer then completes with a
 * {@link SieveException} of kind {@link SieveException.Kind#CANCELLED}.
 */
public interface SieveCall {
    CompletableFuture<SieveAnswer> answer();

    /**
     * Completes when the prompt is prefilled and the first token chosen, or exceptionally as {@link #answer()} does
     * when the request fails before that (a prompt that does not fit the context): a server can still answer
     * with an error status before it commits to a stream.
     */
    CompletableFuture<Void> started();

    void cancel();
}
