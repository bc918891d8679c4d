package dev.sieve.pruning.pipeline;

import java.util.Arrays;
import java.util.List;

/**
 * What one stage of a plan did to one request: each cut it made, and the LLM tokens per layer from
 * its first cut on.
 *
 * @param name the stage's name
 * @param cuts its cuts in order (hooks where it only observed are not listed)
 * @param firstLlmLayer the first LLM layer that ran after this stage's first cut
 * @param llmTokens prompt rows each LLM layer from {@code firstLlmLayer} on saw
 */
public record StageResult(String name, List<Cut> cuts, int firstLlmLayer, int[] llmTokens) {
    /**
     * One cut: the image rows present before it (their origins, sequence order), the stage's scores of
     * them (or null), the image rows after it (origins, sequence order; {@link SequenceView#MERGED} for
     * merges), and the sequence's length after it.
     */
    public record Cut(Hook hook, int[] candidates, float[] scores, int[] after, int rowsAfter) {
        /** Original patch indices still present after this cut, sorted (merged rows and [CLS] left out). */
        public int[] kept() {
            return Arrays.stream(after).filter(i -> i >= 0).sorted().toArray();
        }

        /** Rows appended by this cut (merges). */
        public int merged() {
            return (int) Arrays.stream(after).filter(i -> i < 0).count();
        }
    }

    /** Original patch indices present after this stage's last cut, sorted; every token when it never cut. */
    public int[] kept() {
        return cuts.isEmpty() ? null : cuts.get(cuts.size() - 1).kept();
    }

    /** Image rows (original or merged) after this stage's last cut, or -1 when it never cut. */
    public int imageRowsAfter() {
        return cuts.isEmpty() ? -1 : cuts.get(cuts.size() - 1).after().length;
    }
}
