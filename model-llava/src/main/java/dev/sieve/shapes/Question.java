package dev.sieve.shapes;

/**
 * A question with a one-word answer. {@code kind} is one of {@link Questions#KINDS}; {@code small} says
 * whether answering needs a small object (about one patch) to be seen.
 */
public record Question(String kind, String question, String answer, boolean small) {}
