package dev.sieve.pruning;

/**
 * A method that prunes visual tokens once, at LLM layer {@code layer()} (FastV, IVTP): layers
 * below it run on the whole prompt, the attention of layer {@code layer() - 1} from the method's
 * query rows ranks the image tokens, and later layers run on the kept ones with their original
 * positions.
 */
public sealed interface LayerMethod permits FastV, Ivtp {
    /** The first layer that sees the pruned sequence (K >= 1). */
    int layer();

    /** Image tokens kept. */
    int keep();

    /**
     * The query rows whose attention (mean over heads, then over these rows) ranks the image tokens,
     * for a prompt of {@code length} rows whose image occupies rows [imageStart, imageStart + imageRows).
     */
    int[] queryRows(int length, int imageStart, int imageRows);

    /** The layers whose attention ranks the tokens, ascending, all below {@link #layer()}; by default just K-1. */
    default int[] scoreLayers() {
        return new int[] {layer() - 1};
    }

    /** The weight of each of {@link #scoreLayers()} in the fused score (the weighted mean). */
    default double[] scoreWeights() {
        return new double[] {1};
    }

    /** The layer of a second, progressive cut (0: none): layers [layer, secondLayer) rank the tokens kept so far again. */
    default int secondLayer() {
        return 0;
    }

    /** Image tokens kept after the second cut (of the original ones; at most {@link #keep()}). */
    default int secondKeep() {
        return 0;
    }

    /** Kept image-token indices (sorted) from the ranking scores. */
    default int[] select(float[] scores) {
        return TopK.largestSorted(scores, keep());
    }
}
