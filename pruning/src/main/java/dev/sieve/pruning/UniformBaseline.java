package dev.sieve.pruning;

/**
 * The uniform baseline: {@code keep} visual tokens evenly spaced over the raster order (token
 * {@code floor((i + 0.5) * n / keep)} for i < keep), i.e. a regular subsampling of the image that
 * ignores its content, before the projector.
 */
public record UniformBaseline(int keep) implements VisionMethod {
    /** Spec options: keep=N|RATIO. */
    public static final String USAGE = "keep=N|RATIO";

    /** The stage for spec {@code uniform:keep=N|RATIO}. */
    public static UniformBaseline fromSpec(PruneSpec spec, dev.sieve.pruning.pipeline.ModelShape shape, int visualTokens) {
        spec.requireKeys(java.util.List.of("keep"));
        return new UniformBaseline(spec.budget("keep", visualTokens));
    }

    @Override
    public String name() {
        return "uniform";
    }

    @Override
    public Stage stage() {
        return Stage.VISION;
    }

    @Override
    public int[] select(VisionSignals signals) {
        int n = signals.tokens();
        if (keep < 0 || keep > n) {
            throw new IllegalArgumentException("cannot keep " + keep + " of " + n + " tokens");
        }
        int[] kept = new int[keep];
        for (int i = 0; i < keep; i++) {
            kept[i] = (int) Math.floor((i + 0.5) * n / keep);
        }
        return kept;
    }
}
