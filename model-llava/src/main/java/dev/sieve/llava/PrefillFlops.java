package dev.sieve.llava;

/**
 * Prefill FLOPs as the pruning papers count them (FastV, PyramidDrop, VisPruner): per decoder layer
 * that sees n tokens, {@code 4nd² + 2n²d + 2ndm} (d = hidden size, m = MLP size), summed over
 * layers; the vision tower (same formula per CLIP layer over the rows that layer really ran on) and
 * the projector ({@code 2·rows·(Hv·T + T·T)}) are reported separately.
 */
public record PrefillFlops(int[] tokensPerLayer, double llm, double llmUnpruned, double vision, double visionUnpruned, double projector) {

    /**
     * Counts for generation {@code g} from the rows each layer ran on, against {@code fullPromptTokens},
     * the merged prompt without any pruning ({@link Llava#unprunedPromptLength}).
     */
    public static PrefillFlops of(Llava.Generation g, LlavaConfig config, int fullPromptTokens) {
        LlavaConfig.Text t = config.text();
        double llm = 0;
        for (int n : g.llmTokensPerLayer()) {
            llm += layer(n, t.hiddenSize(), t.intermediateSize());
        }
        double unpruned = t.layers() * layer(fullPromptTokens, t.hiddenSize(), t.intermediateSize());
        LlavaConfig.Vision v = config.vision();
        double vision = 0;
        for (int n : g.visionTokensPerLayer()) {
            vision += layer(n, v.hiddenSize(), v.intermediateSize());
        }
        double visionUnpruned = config.visionLayersToRun() * layer(v.patches() + 1, v.hiddenSize(), v.intermediateSize());
        double projector = 2.0 * g.projectedRows() * ((double) v.hiddenSize() * t.hiddenSize() + (double) t.hiddenSize() * t.hiddenSize());
        return new PrefillFlops(g.llmTokensPerLayer().clone(), llm, unpruned, vision, visionUnpruned, projector);
    }

    static double layer(int n, int d, int m) {
        return 4.0 * n * d * d + 2.0 * n * n * d + 2.0 * n * d * m;
    }

    /** LLM prefill FLOPs relative to the same prompt without any pruning. */
    public double llmRatio() {
        return llm / llmUnpruned;
    }

    /** Vision tower FLOPs relative to the unpruned tower (below 1 only when a stage prunes inside it). */
    public double visionRatio() {
        return vision / visionUnpruned;
    }
}
