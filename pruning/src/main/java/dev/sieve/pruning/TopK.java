package dev.sieve.pruning;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** Top-k selection shared by the score-ranking methods. */
public final class TopK {
    private TopK() {}

    /**
     * Indices (into {@code scores}) of the {@code k} largest scores, returned sorted ascending (the
     * order the LLM receives tokens in). Among exactly equal scores the lower index wins; the
     * reference implementations' torch.topk makes no promise there, and the goldens avoid ties.
     */
    public static int[] largestSorted(float[] scores, int k) {
        int[] kept = largestFirst(scores, k);
        Arrays.sort(kept);
        return kept;
    }

    /** Indices of the {@code k} largest scores, largest first (lower index first among equal scores). */
    public static int[] largestFirst(float[] scores, int k) {
        if (k < 0 || k > scores.length) {
            throw new IllegalArgumentException("cannot keep " + k + " of " + scores.length + " tokens");
        }
        Integer[] order = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i));
        int[] top = new int[k];
        for (int i = 0; i < k; i++) {
            top[i] = order[i];
        }
        return top;
    }
}
