package dev.sieve.pruning.pipeline;

/** What a row of the sequence is. Visual rows (and the vision tower's [CLS]) form one contiguous block. */
public enum Role {
    /** Text before the image (the LLM sequence only). */
    TEXT_BEFORE,
    /** The vision tower's class token (inside the tower; LLaVA's default feature strategy drops it at the tower's output). */
    CLS,
    /** An image token: an original patch, or a row a stage appended (a merge). */
    VISUAL,
    /** Text after the image: the instruction and the chat template's tail (the LLM sequence only). */
    TEXT_AFTER;

    /** Rows a stage may drop: visual rows, and [CLS] at the tower's output. */
    public boolean isImage() {
        return this == CLS || this == VISUAL;
    }
}
