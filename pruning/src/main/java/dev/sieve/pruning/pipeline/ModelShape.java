package dev.sieve.pruning.pipeline;

/**
 * What a stage may know of the model it runs in, to check its options against.
 *
 * @param visionLayers CLIP layers the model runs (up to and including the feature layer)
 * @param patches patch tokens per image (CLIP's P)
 * @param visionHidden CLIP hidden size
 * @param textLayers LLM layers
 * @param textHidden LLM hidden size
 * @param imageTokens visual rows the LLM receives without pruning (P, or P + 1 with the "full" feature strategy)
 * @param directory the checkpoint directory, where stages with trained parts (LVPruning) look for them; null when unknown
 */
public record ModelShape(int visionLayers, int patches, int visionHidden, int textLayers, int textHidden, int imageTokens,
                         java.nio.file.Path directory) {
    public ModelShape {
        if (visionLayers < 1 || patches < 1 || visionHidden < 1 || textLayers < 1 || textHidden < 1 || imageTokens < 1) {
            throw new IllegalArgumentException("a model shape needs positive sizes");
        }
    }

    /** A shape with no checkpoint directory. */
    public ModelShape(int visionLayers, int patches, int visionHidden, int textLayers, int textHidden, int imageTokens) {
        this(visionLayers, patches, visionHidden, textLayers, textHidden, imageTokens, null);
    }
}
