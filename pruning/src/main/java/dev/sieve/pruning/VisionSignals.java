package dev.sieve.pruning;

/**
 * What a vision-side method may look at, for one image of {@link #tokens()} visual tokens.
 *
 * @param clsAttention the [CLS] query's post-softmax attention to each visual token in the
 *     vision tower's feature layer, mean over heads; null for {@link VisionMethod.Stage#PROJECTED} methods
 * @param features one row of {@code dim} floats per visual token: the feature layer's output
 *     for {@link VisionMethod.Stage#VISION} methods, the projector's output for
 *     {@link VisionMethod.Stage#PROJECTED} ones
 */
public record VisionSignals(float[] clsAttention, float[] features, int dim) {
    public VisionSignals {
        if (dim < 1 || features.length % dim != 0 || (clsAttention != null && clsAttention.length != features.length / dim)) {
            throw new IllegalArgumentException("vision signals need one [CLS] attention value (when given) and one row of " + dim
                    + " features per token");
        }
    }

    public int tokens() {
        return features.length / dim;
    }
}
