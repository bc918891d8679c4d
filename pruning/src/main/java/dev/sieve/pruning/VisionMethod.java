package dev.sieve.pruning;

/** A method that keeps a subset of the visual tokens before the language model sees them. */
public sealed interface VisionMethod permits FasterVlm, VisPruner, DivPrune, RandomBaseline, UniformBaseline {
    /** Where the method acts: on the vision tower's features (before the projector) or on the projected rows. */
    enum Stage { VISION, PROJECTED }

    Stage stage();

    /** Visual tokens kept. */
    int keep();

    /** Kept token indices, sorted ascending. */
    int[] select(VisionSignals signals);
}
