package dev.sieve.pruning;

/**
 * What a vision-side method may look at, for one image of {@code tokens} visual tokens.
 *
 * @param clsAttention the [CLS] query's post-softmax attention to each visual token in the
 *     vision tower's feature layer, mean over heads ({@code tokens} values)
 * @param features one row of {@code dim} floats per visual token: the feature layer's output
 *     for {@link VisionMethod.Stage#VISION} methods, the projector's output for
 *     {@link VisionMethod.Stage#PROJECTED} ones
 */
public record VisionSignals(float[] clsAttention, float[] features, int dim) {
    public int tokens() {
        return clsAttention.length;
    }
}
