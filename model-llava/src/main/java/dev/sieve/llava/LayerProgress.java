package dev.sieve.llava;

/** Told when a layer of the vision tower or of a prefill pass finishes (see {@link Llava#onProgress}). */
@FunctionalInterface
public interface LayerProgress {
    LayerProgress NONE = (phase, done, total) -> { };

    enum Phase { VISION, PREFILL }

    /** {@code done} of {@code total} layers of {@code phase} are finished (prefill runs split at pruning hooks report their own layer ranges). */
    void layerDone(Phase phase, int done, int total);
}
