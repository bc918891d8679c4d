package dev.sieve.llava;

import java.util.Arrays;

/**
 * Prefill FLOPs as the pruning papers count them (FastV, PyramidDrop, VisPruner): per decoder layer
 * that sees n tokens, {@code 4nd² + 2n²d + 2ndm} (d = hidden size, m = MLP size), summed over
 * layers; the vision tower (same formula over its 1 + P tokens and the layers LLaVA runs) and the
 * projector ({@code 2·rows·(Hv·T + T·T)}) are reported separately.
 */
public record PrefillFlops(int[] tokensPerLayer, double llm, double llmUnpruned, double vision, double projector) {

    /**
     * Counts for generation {@code g}: the tokens each decoder layer saw (after vision-side pruning,
     * FastV/IVTP's cut and PyramidDrop's stages), against {@code fullPromptTokens}, the merged prompt
     * without any pruning ({@link Llava#unprunedPromptLength}).
     */
    public static PrefillFlops of(Llava.Generation g, LlavaConfig config, Llava.Pruning pruning, int fullPromptTokens) {
        LlavaConfig.Text t = config.text();
        int layers = t.layers();
        int[] tokens = new int[layers];
        Arrays.fill(tokens, g.promptLength());
        int entering = llmInputTokens(g, pruning);
        if (pruning.layerMethod() != null) {
            Arrays.fill(tokens, 0, pruning.layerMethod().layer(), entering);
            Llava.Pruned cut = g.pruned();
            if (cut.firstStageKept() != null) {
                int afterFirst = g.promptLength() + cut.firstStageKept().length - cut.keptImageIndices().length;
                Arrays.fill(tokens, pruning.layerMethod().layer(), pruning.layerMethod().secondLayer(), afterFirst);
            }
        }
        if (pruning.pyramidDrop() != null || pruning.sparseVlm() != null) {
            int n = entering;
            int from = 0;
            for (int s = 0; s < g.dropStages().size(); s++) {
                // PyramidDrop cuts before its layer; SparseVLM after its layer.
                int to = pruning.pyramidDrop() != null ? pruning.pyramidDrop().layers()[s] : pruning.sparseVlm().layers()[s] + 1;
                Arrays.fill(tokens, from, to, n);
                Llava.DropStage stage = g.dropStages().get(s);
                n -= stage.candidates().length - stage.kept().length;
                from = to;
            }
        }
        double llm = 0;
        for (int n : tokens) {
            llm += layer(n, t.hiddenSize(), t.intermediateSize());
        }
        double unpruned = layers * layer(fullPromptTokens, t.hiddenSize(), t.intermediateSize());
        LlavaConfig.Vision v = config.vision();
        double vision = config.visionLayersToRun() * layer(v.patches() + 1, v.hiddenSize(), v.intermediateSize());
        int projectedRows = g.zip() != null ? g.zip().tokens().length / v.hiddenSize()
                : g.visionKept() != null ? g.visionKept().length : v.patches();
        double projector = 2.0 * projectedRows * ((double) v.hiddenSize() * t.hiddenSize() + (double) t.hiddenSize() * t.hiddenSize());
        return new PrefillFlops(tokens, llm, unpruned, vision, projector);
    }

    /** The prompt length entering layer 0: after vision-side pruning, before any cut inside the LLM. */
    private static int llmInputTokens(Llava.Generation g, Llava.Pruning pruning) {
        if (pruning.layerMethod() != null) {
            return g.promptLength() + g.pruned().scores().length - g.pruned().keptImageIndices().length;
        }
        if (pruning.pyramidDrop() != null || pruning.sparseVlm() != null) {
            Llava.DropStage first = g.dropStages().get(0);
            Llava.DropStage last = g.dropStages().get(g.dropStages().size() - 1);
            return g.promptLength() + first.candidates().length - last.kept().length;
        }
        return g.promptLength();
    }

    static double layer(int n, int d, int m) {
        return 4.0 * n * d * d + 2.0 * n * n * d + 2.0 * n * d * m;
    }

    /** LLM prefill FLOPs relative to the same prompt without any pruning. */
    public double llmRatio() {
        return llm / llmUnpruned;
    }
}
