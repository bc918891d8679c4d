package dev.sieve.llava;

import dev.sieve.kernels.AttentionProbe;
import dev.sieve.pruning.PrunePlan;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import dev.sieve.pruning.pipeline.StageResult;
import dev.sieve.runtime.KvCache;
import dev.sieve.runtime.Ops;
import java.util.Arrays;
import java.util.List;

/**
 * One request's prefill as one generic loop: the vision tower layer by layer, the projector, the
 * merge with the prompt, the LLM layer by layer; at each hook the plan's stages say what they want,
 * exactly that is computed, and their decisions reshape the sequence (rows, positions, per-layer KV
 * cache lengths). Names no pruning method.
 */
final class Prefill {
    /**
     * A prefilled prompt: its KV cache (the caller closes it; each layer knows its next position),
     * logits (of every row, or of the last row only) and what pruning did.
     */
    record Result(KvCache cache, float[] promptLogits, int rows, List<StageResult> stages, int[] visionTokensPerLayer, int projectedRows,
                  int[] llmTokensPerLayer, int[] lastPositions, long imageNanos, long prefillNanos, int visualTotal, int visualKept) {}

    private final Llava llava;
    private final LlavaConfig config;
    private final ClipVisionTower vision;
    private final Projector projector;
    private final LlamaDecoder decoder;

    Prefill(Llava llava, LlavaConfig config, ClipVisionTower vision, Projector projector, LlamaDecoder decoder) {
        this.llava = llava;
        this.config = config;
        this.vision = vision;
        this.projector = projector;
        this.decoder = decoder;
    }

    /**
     * Prefills; {@code everyPromptRow} asks for the logits of every prompt row (goldens, `sieve
     * forward`), otherwise lm_head runs on the last row only (all a generation needs; for a
     * 611-row prompt of a 7B model that skips 610 rows: 2 x 610 x 4096 x 32064 = 160 GFLOP).
     */
    Result run(float[] pixels, int[] ids, int maxNewTokens, PrunePlan plan, boolean everyPromptRow, Ops ops) {
        if (maxNewTokens < 1) {
            throw new ModelException("max new tokens must be >= 1, got " + maxNewTokens);
        }
        llava.checkPixels(pixels);
        ModelShape shape = llava.shape();
        StageRuns stages = new StageRuns(plan, shape);
        long t0 = System.nanoTime();
        SequenceRows rows = SequenceRows.tower(config.vision().patches());
        int[] visionTokens = new int[vision.layers()];
        float[] image = visionTower(pixels, rows, stages, visionTokens, ops);
        int hv = config.vision().hiddenSize();
        image = rows.finishTower(image, hv, config.keepClsFeature());
        int ht = config.text().hiddenSize();
        float[] projected = projector.project(image, 0, rows.rows(), ops);
        int projectedRows = rows.rows();
        if (stages.at(Hook.projected())) {
            SignalRequest q = stages.requests(Hook.projected(), rows.view(Hook.projected(), ht, shape));
            Signals s = Signals.of(null, null, rows.rows(), q.hiddenRows(), gather(projected, q.hiddenRows(), ht), ht, null, 0);
            projected = stages.decide(List.of(Hook.projected()), rows, projected, ht, s);
        }
        Llava.Merged merged = llava.merge(ids, projected);
        long t1 = System.nanoTime();
        SequenceRows seq = SequenceRows.llm(rows, merged.length(), merged.imageStart());
        LlavaConfig.Text t = config.text();
        int s = merged.length();
        long lastPosition = (long) Math.max(s, seq.span) + maxNewTokens;
        if (lastPosition > t.maxPositions()) {
            throw new ModelException("prompt of " + s + " positions + " + maxNewTokens + " new tokens exceeds max_position_embeddings "
                    + t.maxPositions());
        }
        KvCache cache = new KvCache(decoder.layers(), t.kvHeads(), t.headDim(), s + maxNewTokens);
        try {
            int[] llmTokens = new int[decoder.layers()];
            int[] spans = new int[decoder.layers()];
            float[] x = languageModel(merged.embeddings(), seq, stages, cache, llmTokens, spans, ops);
            for (int l = 0; l < decoder.layers(); l++) {
                cache.setPositionOffset(l, spans[l] - llmTokens[l]);
            }
            float[] promptLogits = everyPromptRow ? decoder.logits(x, 0, seq.rows(), ops) : decoder.logits(x, seq.rows() - 1, 1, ops);
            return new Result(cache, promptLogits, seq.rows(), stages.results(llmTokens), visionTokens, projectedRows, llmTokens,
                    seq.positions.clone(), t1 - t0, System.nanoTime() - t1, shape.imageTokens(), StageRuns.imageRows(seq));
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /** CLIP up to the feature layer; after each layer its stages decide (the output's stages are asked before the feature layer runs). */
    private float[] visionTower(float[] pixels, SequenceRows rows, StageRuns stages, int[] tokensPerLayer, Ops ops) {
        ModelShape shape = llava.shape();
        int hv = config.vision().hiddenSize();
        int headDim = config.vision().headDim();
        float[] x = vision.embed(pixels, ops);
        ClipVisionTower.Scratch scratch = vision.new Scratch(rows.rows());
        int last = vision.layers() - 1;
        for (int i = 0; i <= last; i++) {
            Hook hook = Hook.afterVisionLayer(i);
            int n = rows.rows();
            SignalRequest q = merge(stages.requests(hook, rows.view(hook, hv, shape)),
                    i == last ? stages.requests(Hook.visionOutput(), rows.view(Hook.visionOutput(), hv, shape)) : SignalRequest.NONE);
            AttentionProbe probe = q.attentionRows() == null ? null : AttentionProbe.of(q.attentionRows(), n);
            float[] keys = q.keys() ? new float[n * headDim] : null;
            vision.layer(i, x, n, ops, probe, keys, scratch);
            tokensPerLayer[i] = n;
            Signals signals = Signals.of(q.attentionRows(), probe == null ? null : probe.mean(), n, q.hiddenRows(), gather(x, q.hiddenRows(), hv), hv,
                    keys, headDim);
            // The tower's output stages decide after the feature layer's own, on the same (followed) signals.
            x = stages.decide(i == last ? List.of(hook, Hook.visionOutput()) : List.of(hook), rows, x, hv, signals);
        }
        return x;
    }

    /**
     * The LLM layers in runs between hooks: before a "before layer i" hook the look-ahead of layer i
     * is computed on the current rows; a run ending at a layer with an "after" hook probes that layer.
     * {@code tokens} and {@code spans} receive each layer's rows and next-position span.
     */
    private float[] languageModel(float[] x, SequenceRows seq, StageRuns stages, KvCache cache, int[] tokens, int[] spans, Ops ops) {
        ModelShape shape = llava.shape();
        int h = config.text().hiddenSize();
        int layers = decoder.layers();
        java.util.TreeSet<Hook> hooks = stages.hooks(hook -> !hook.beforeLlm());
        int layer = 0;
        while (layer < layers) {
            Hook before = Hook.beforeLlmLayer(layer);
            if (stages.at(before)) {
                SignalRequest q = stages.requests(before, seq.view(before, h, shape));
                float[] attention = q.attentionRows() == null ? null
                        : decoder.lookAheadAttention(x, seq.rows(), layer, seq.positions, q.attentionRows(), ops);
                Signals s = Signals.of(q.attentionRows(), attention, seq.rows(), q.hiddenRows(), gather(x, q.hiddenRows(), h), h, null, 0);
                x = stages.decide(List.of(before), seq, x, h, s);
            }
            int end = runEnd(hooks, layer, layers);
            Hook after = Hook.afterLlmLayer(end - 1);
            SignalRequest q = stages.at(after) ? stages.requests(after, seq.view(after, h, shape)) : SignalRequest.NONE;
            int n = seq.rows();
            AttentionProbe probe = q.attentionRows() == null ? null : AttentionProbe.of(q.attentionRows(), n);
            decoder.forward(x, n, seq.positions, cache, ops, layer, end, probe);
            Arrays.fill(tokens, layer, end, n);
            Arrays.fill(spans, layer, end, seq.span);
            if (stages.at(after)) {
                Signals s = Signals.of(q.attentionRows(), probe == null ? null : probe.mean(), n, q.hiddenRows(), gather(x, q.hiddenRows(), h), h,
                        null, 0);
                x = stages.decide(List.of(after), seq, x, h, s);
            }
            layer = end;
        }
        return x;
    }

    /** The end (exclusive) of the run of layers starting at {@code from}: after the next "after" hook's layer, or before the next "before" hook. */
    private static int runEnd(java.util.TreeSet<Hook> hooks, int from, int layers) {
        int end = layers;
        for (Hook hook : hooks) {
            if (hook.kind() == Hook.Kind.AFTER_LLM_LAYER && hook.layer() >= from) {
                end = Math.min(end, hook.layer() + 1);
            } else if (hook.kind() == Hook.Kind.BEFORE_LLM_LAYER && hook.layer() > from) {
                end = Math.min(end, hook.layer());
            }
        }
        return end;
    }

    private static SignalRequest merge(SignalRequest a, SignalRequest b) {
        return new SignalRequest(union(a.attentionRows(), b.attentionRows()), union(a.hiddenRows(), b.hiddenRows()), a.keys() || b.keys());
    }

    private static int[] union(int[] a, int[] b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return java.util.stream.IntStream.concat(Arrays.stream(a), Arrays.stream(b)).distinct().sorted().toArray();
    }

    /** Rows {@code at} of {@code x} (width {@code dim}), or null when none were asked for. */
    static float[] gather(float[] x, int[] at, int dim) {
        if (at == null) {
            return null;
        }
        float[] out = new float[at.length * dim];
        for (int i = 0; i < at.length; i++) {
            System.arraycopy(x, at[i] * dim, out, i * dim, dim);
        }
        return out;
    }
}
