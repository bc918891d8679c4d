package dev.sieve.llava.api;

import java.util.concurrent.CompletableFuture;

/**
 * A request submitted with {@link Sieve#submit}: its answer to come, and a way to give it up. Cancelling
 * frees its place in the batch at the next decode step; the answer then completes with a
 * {@link SieveException} of kind {@link SieveException.Kind#CANCELLED}.
 */
public interface SieveCall {
    CompletableFuture<SieveAnswer> answer();

    void cancel();
}
