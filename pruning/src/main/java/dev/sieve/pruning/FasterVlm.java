package dev.sieve.pruning;

/**
 * FasterVLM — Zhang et al., "[CLS] Attention is All You Need for Training-Free Visual Token
 * Pruning: Make VLM Inference Faster" (2024); reference code {@code Theia-4869/FasterVLM},
 * {@code LlavaMetaForCausalLM.encode_images}: keep the {@code keep} visual tokens the [CLS] token of
 * the feature layer attends to most (mean over heads), in raster order, before the projector.
 */
public record FasterVlm(int keep) implements VisionMethod {
    @Override
    public Stage stage() {
        return Stage.VISION;
    }

    @Override
    public int[] select(VisionSignals signals) {
        return TopK.largestSorted(signals.clsAttention(), keep);
    }
}
