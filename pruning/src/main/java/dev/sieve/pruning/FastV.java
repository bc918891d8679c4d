package dev.sieve.pruning;

import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.PruningStage;
import dev.sieve.pruning.pipeline.SequenceView;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import java.util.List;

/**
 * FastV — Chen et al., "An Image is Worth 1/2 Tokens After Layer 2: Plug-and-Play Inference
 * Acceleration for Large Vision-Language Models" (ECCV 2024); reference code
 * {@code pkunlp-icler/FastV}, {@code LlamaModel.fastv_forward} (KV-cache branch).
 *
 * <p>Acts after LLM layer k-1: layers 0..k-1 run on the whole prompt; the attention of layer
 * k-1, averaged over heads, from the <b>last prompt token</b> to each image token ranks the image
 * tokens; the {@code keep} best stay (in raster order) and layers k.. run on the shortened
 * sequence with the <b>original position ids</b> (gaps allowed). With a KV cache the prompt is
 * pruned once, at prefill: layers below k cache every prompt position, later layers only the kept
 * ones, and every decode step uses the next original position in every layer.
 *
 * @param layer K, the first layer that sees the pruned sequence (1 <= K < layers)
 * @param keep image tokens kept
 */
public record FastV(int layer, int keep) implements PruningStage {
    public static final String USAGE = "k=K,keep=N|RATIO";

    public FastV {
        if (layer < 1 || keep < 0) {
            throw new IllegalArgumentException("FastV needs k >= 1 and keep >= 0, got k=" + layer + " keep=" + keep);
        }
    }

    public static FastV fromSpec(PruneSpec spec, ModelShape shape, int visualTokens) {
        spec.requireKeys(List.of("k", "keep"));
        return new FastV(spec.layerK("k", shape.textLayers()), spec.budget("keep", visualTokens));
    }

    @Override
    public String name() {
        return "fastv";
    }

    @Override
    public List<Hook> hooks(ModelShape shape) {
        return List.of(Hook.afterLlmLayer(layer - 1));
    }

    /** The last prompt token, as in FastV's code (its paper's all-token average is not what the code does). */
    @Override
    public SignalRequest wants(Hook hook, SequenceView view) {
        return SignalRequest.attentionOf(view.lastRow());
    }

    @Override
    public Decision decide(Hook hook, SequenceView view, Signals signals) {
        int[] visual = view.visualRows();
        if (keep > visual.length) {
            throw new IllegalArgumentException("fastv: keep=" + keep + " is more than the " + visual.length + " image tokens");
        }
        float[] scores = signals.meanAttention(visual);
        return Decision.keepVisual(view, TopK.largestSorted(scores, keep), PositionRule.ORIGINAL, scores);
    }

    @Override
    public int visualTokensAfter(int entering) {
        return keep;
    }
}
