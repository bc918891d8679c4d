package dev.sieve.kernels;

import java.util.Objects;

/**
 * A request for the exact post-softmax attention probabilities of chosen query rows, filled in by
 * {@link Attention#attend} and {@link AttentionReference#attend}: what visual-token pruning
 * methods consume (the last text token's row, or the [CLS] row 0 of a vision tower).
 *
 * <p>{@code mean[r * sk + j]} receives p(rows[r], j) averaged over the query heads;
 * {@code perHead[(r * hq + h) * sk + j]}, when {@code perHead} is not null, receives the
 * probabilities of query head h. Keys a row may not see (causal masking) get 0, so each row of
 * {@code mean} (and of {@code perHead}) sums to 1. Row indices may repeat.
 */
public record AttentionProbe(int[] rows, float[] mean, float[] perHead) {
    public AttentionProbe {
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(mean, "mean");
    }

    /** Head-averaged probabilities of {@code rows} over {@code sk} keys, in a new array. */
    public static AttentionProbe of(int[] rows, int sk) {
        return new AttentionProbe(rows.clone(), new float[Math.multiplyExact(rows.length, sk)], null);
    }

    /** Head-averaged and per-head probabilities of {@code rows} over {@code sk} keys and {@code hq} query heads. */
    public static AttentionProbe withHeads(int[] rows, int sk, int hq) {
        return new AttentionProbe(rows.clone(), new float[Math.multiplyExact(rows.length, sk)],
                new float[Math.multiplyExact(Math.multiplyExact(rows.length, hq), sk)]);
    }

    /** Checks the arrays against a call's geometry; throws IllegalArgumentException when they do not fit. */
    void validate(int sq, int sk, int hq) {
        for (int row : rows) {
            if (row < 0 || row >= sq) {
                throw new IllegalArgumentException("probe row " + row + " outside [0, " + sq + ")");
            }
        }
        if (mean.length < (long) rows.length * sk) {
            throw new IllegalArgumentException("probe mean needs " + (long) rows.length * sk + " floats, has " + mean.length);
        }
        if (perHead != null && perHead.length < (long) rows.length * hq * sk) {
            throw new IllegalArgumentException("probe perHead needs " + (long) rows.length * hq * sk + " floats, has " + perHead.length);
        }
    }
}
