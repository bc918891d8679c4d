package dev.sieve.llava;

import dev.sieve.runtime.KvCache;
import dev.sieve.runtime.Ops;

/**
 * The language model of a {@link Llava} on its own, for text-only runs and benchmarks: a prompt of
 * token ids prefilled into a KV cache, then one token per decode step. Positions continue from
 * what the cache holds; lm_head runs only on the row whose logits are returned.
 */
public final class LanguageModel {
    private final LlamaDecoder decoder;
    private final LlavaConfig.Text cfg;

    private LanguageModel(LlamaDecoder decoder, LlavaConfig.Text cfg) {
        this.decoder = decoder;
        this.cfg = cfg;
    }

    public static LanguageModel of(Llava llava) {
        return new LanguageModel(llava.decoder(), llava.config().text());
    }

    public int vocabSize() {
        return cfg.vocabSize();
    }

    /** An empty KV cache for {@code positions} positions (the caller closes it). */
    public KvCache newCache(int positions) {
        return new KvCache(decoder.layers(), cfg.kvHeads(), cfg.headDim(), positions);
    }

    /** Runs {@code ids} after what {@code cache} holds; the last id's logits go to {@code logits} (vocabulary floats). */
    public void prefill(int[] ids, KvCache cache, float[] logits, Ops ops) {
        int h = cfg.hiddenSize();
        float[] x = new float[ids.length * h];
        for (int i = 0; i < ids.length; i++) {
            decoder.embed(ids[i], x, i);
        }
        decoder.forward(x, ids.length, null, cache, ops);
        decoder.logits(x, ids.length - 1, 1, logits, ops);
    }

    /** One decode step: {@code token} after what {@code cache} holds, its logits into {@code logits}; {@code row} is hidden-size scratch. */
    public void step(int token, KvCache cache, float[] row, float[] logits, Ops ops) {
        decoder.embed(token, row, 0);
        decoder.forward(row, 1, null, cache, ops);
        decoder.logits(row, 0, 1, logits, ops);
    }

    public int hiddenSize() {
        return cfg.hiddenSize();
    }

    /** The index of the largest value (the first of equal ones): greedy decoding. */
    public static int argmax(float[] values) {
        return Llava.argmax(values);
    }
}
