package dev.sieve.pruning;

/**
 * FasterVLM — Zhang et al., "[CLS] Attention is All You Need for Training-Free Visual Token
 * Pruning: Make VLM Inference Faster" (2024); reference code {@code Theia-4869/FasterVLM},
 * {@code LlavaMetaForCausalLM.encode_images}: keep the {@code keep} visual tokens the [CLS] token of
 * the feature layer attends to most (mean over heads), in raster order, before the projector.
 */
public record FasterVlm(int keep) implements VisionMethod {
    /** Spec options: keep=N|RATIO. */
    public static final String USAGE = "keep=N|RATIO";

    /** The stage for spec {@code fastervlm:keep=N|RATIO}. */
    public static FasterVlm fromSpec(PruneSpec spec, dev.sieve.pruning.pipeline.ModelShape shape, int visualTokens) {
        spec.requireKeys(java.util.List.of("keep"));
        return new FasterVlm(spec.budget("keep", visualTokens));
    }

    @Override
    public String name() {
        return "fastervlm";
    }

    @Override
    public Stage stage() {
        return Stage.VISION;
    }

    @Override
    public int[] select(VisionSignals signals) {
        return TopK.largestSorted(signals.clsAttention(), keep);
    }
}
