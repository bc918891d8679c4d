package dev.sieve.pruning;

/**
 * FastV — Chen et al., "An Image is Worth 1/2 Tokens After Layer 2: Plug-and-Play Inference
 * Acceleration for Large Vision-Language Models" (ECCV 2024); reference code
 * {@code pkunlp-icler/FastV}, {@code LlamaModel.fastv_forward} (KV-cache branch).
 *
 * <p>Acts at LLM layer {@code k}: layers 0..k-1 run on the whole prompt; the attention of layer
 * k-1, averaged over heads, from the <b>last prompt token</b> to each image token ranks the image
 * tokens; the {@code keep} best stay (in raster order) and layers k.. run on the shortened
 * sequence with the <b>original position ids</b> (gaps allowed). With a KV cache the prompt is
 * pruned once, at prefill: layers below k cache every prompt position, later layers only the kept
 * ones, and every decode step uses the next original position in every layer.
 *
 * @param layer K, the first layer that sees the pruned sequence (1 <= K < layers)
 * @param keep image tokens kept
 */
public record FastV(int layer, int keep) implements LayerMethod {
    public FastV {
        if (layer < 1 || keep < 0) {
            throw new IllegalArgumentException("FastV needs k >= 1 and keep >= 0, got k=" + layer + " keep=" + keep);
        }
    }

    /** The layer whose attention ranks the image tokens. */
    public int scoringLayer() {
        return layer - 1;
    }

    /** The last prompt token, as in FastV's code (its paper's all-token average is not what the code does). */
    @Override
    public int[] queryRows(int length, int imageStart, int imageRows) {
        return new int[] {length - 1};
    }
}
