package dev.sieve.pruning.pipeline;

import java.util.List;

/**
 * One pruning method as the model runs it: it names the hooks where it acts, says at each which
 * signals it needs (asked before the hook's layer runs, so the model computes exactly those), and
 * answers with a {@link Decision}. It never sees model weights, only a {@link SequenceView} and
 * {@link Signals}, so it can be tested on hand-made inputs.
 *
 * <p>A stage object describes the method and its options and may be shared between requests and
 * threads. A stage that carries state from one hook to the next (scores fused over layers,
 * candidates of earlier drops) returns a fresh copy from {@link #begin()}; the model calls it once per
 * request and talks only to that copy.
 */
public interface PruningStage {
    /** Short name for results and messages, e.g. {@code fastv}. */
    String name();

    /** The hooks where this stage acts in a model of {@code shape}, ascending in flow order (see {@link Hook#compareTo}). */
    List<Hook> hooks(ModelShape shape);

    /** The stage for one request: itself when stateless, otherwise a fresh copy. */
    default PruningStage begin() {
        return this;
    }

    /** Whether the stage appends rows (merges); such rows have no original position, so positions=original is refused. */
    default boolean appendsRows() {
        return false;
    }

    /** The signals wanted at {@code hook}, given the sequence as it is when the hook's layer is about to run. */
    default SignalRequest wants(Hook hook, SequenceView view) {
        return SignalRequest.NONE;
    }

    /**
     * The stage's decision at {@code hook}. A stage that keeps state between hooks decides through
     * the copy {@link #begin()} returns, so its own object need not implement this.
     */
    default Decision decide(Hook hook, SequenceView view, Signals signals) {
        throw new IllegalStateException(name() + " keeps state between hooks: decide through begin()");
    }

    /** Visual tokens after this stage when {@code entering} come in (how later stages resolve ratio budgets). */
    default int visualTokensAfter(int entering) {
        return entering;
    }
}
