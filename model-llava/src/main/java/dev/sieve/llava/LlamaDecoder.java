package dev.sieve.llava;

import static dev.sieve.llava.Buffers.seg;

import dev.sieve.kernels.AttentionProbe;
import dev.sieve.kernels.Rope;
import dev.sieve.kernels.WeightMatrix;
import dev.sieve.runtime.KvCache;
import dev.sieve.runtime.Ops;

/**
 * The Llama decoder: token embedding; per layer x += o_proj(attn(RMSNorm(x))) with RoPE
 * (rotate-half) and grouped-query attention over the KV cache, then x += down(silu(gate(h)) *
 * up(h)) with h = RMSNorm(x); a final RMSNorm and an untied lm_head applied only to the rows whose
 * logits are wanted.
 */
final class LlamaDecoder {
    private record Layer(float[] inputNorm, WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o, float[] postNorm,
                         WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}

    private final LlavaConfig.Text cfg;
    private final WeightMatrix embedTokens;
    private final Layer[] layers;
    private final float[] finalNorm;
    private final WeightMatrix lmHead;
    private final float[] inverseFrequencies;

    LlamaDecoder(LlavaConfig.Text cfg, Weights w) {
        this.cfg = cfg;
        String p = "language_model.model.";
        int h = cfg.hiddenSize();
        int qWidth = cfg.heads() * cfg.headDim();
        int kvWidth = cfg.kvHeads() * cfg.headDim();
        int inter = cfg.intermediateSize();
        embedTokens = w.matrix(p + "embed_tokens.weight", cfg.vocabSize(), h);
        layers = new Layer[cfg.layers()];
        for (int i = 0; i < layers.length; i++) {
            String l = p + "layers." + i + ".";
            layers[i] = new Layer(w.vector(l + "input_layernorm.weight", h),
                    w.matrix(l + "self_attn.q_proj.weight", qWidth, h), w.matrix(l + "self_attn.k_proj.weight", kvWidth, h),
                    w.matrix(l + "self_attn.v_proj.weight", kvWidth, h), w.matrix(l + "self_attn.o_proj.weight", h, qWidth),
                    w.vector(l + "post_attention_layernorm.weight", h),
                    w.matrix(l + "mlp.gate_proj.weight", inter, h), w.matrix(l + "mlp.up_proj.weight", inter, h),
                    w.matrix(l + "mlp.down_proj.weight", h, inter));
        }
        finalNorm = w.vector(p + "norm.weight", h);
        lmHead = w.matrix("language_model.lm_head.weight", cfg.vocabSize(), h);
        inverseFrequencies = Rope.inverseFrequencies(cfg.headDim(), cfg.ropeTheta());
    }

    int layers() {
        return layers.length;
    }

    /** Token embeddings, one row of hidden floats per id written at {@code out[row0 + i]}. */
    void embed(int[] ids, float[] out, int row0) {
        int h = cfg.hiddenSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= cfg.vocabSize()) {
                throw new ModelException("token id " + ids[i] + " is outside the vocabulary of " + cfg.vocabSize());
            }
            for (int c = 0; c < h; c++) {
                out[(row0 + i) * h + c] = embedTokens.get(ids[i], c);
            }
        }
    }

    /** Told after each layer of a multi-row (prefill) pass; set by {@link Llava#onProgress}. */
    volatile LayerProgress progress = LayerProgress.NONE;

    /**
     * Runs {@code n} rows of {@code x} (in place) at {@code positions} through every layer,
     * appending their keys and values to {@code cache}; the rows attend to everything cached
     * before them and causally among themselves. Leaves the last layer's output in {@code x}.
     */
    void forward(float[] x, int n, int[] positions, KvCache cache, Ops ops) {
        forward(x, n, positions, cache, ops, 0, layers.length, null);
    }

    /**
     * Layers [from, to) only; {@code probe}, when given, receives the attention probabilities of
     * its query rows in layer {@code to - 1} (what in-LLM pruning methods rank tokens by).
     */
    void forward(float[] x, int n, int[] positions, KvCache cache, Ops ops, int from, int to, AttentionProbe probe) {
        int h = cfg.hiddenSize();
        int d = cfg.headDim();
        int qWidth = cfg.heads() * d;
        int kvWidth = cfg.kvHeads() * d;
        Work w = new Work(n, h, qWidth, kvWidth, cfg.intermediateSize());
        float[] q = w.q();
        float[] k = w.k();
        float[] v = w.v();
        float[] attended = w.attended();
        Rope.Table shared = positions == null ? null : Rope.Table.of(inverseFrequencies, positions);
        float scale = (float) (1 / Math.sqrt(d));
        for (int i = from; i < to; i++) {
            Layer l = layers[i];
            int[] layerPositions = positions != null ? positions : continuing(cache.nextPosition(i), n);
            Rope.Table rope = shared != null ? shared : Rope.Table.of(inverseFrequencies, layerPositions);
            projectQkv(l, x, n, w, ops);
            ops.rope(seg(q), n, cfg.heads(), d, qWidth, rope, layerPositions, cfg.ropeTheta());
            ops.rope(seg(k), n, cfg.kvHeads(), d, kvWidth, rope, layerPositions, cfg.ropeTheta());
            cache.append(i, seg(k), seg(v), n);
            int keys = cache.length(i);
            ops.attend(seg(q), qWidth, cache.keys(i), kvWidth, cache.values(i), kvWidth, seg(attended), qWidth, n, keys,
                    cfg.heads(), cfg.kvHeads(), d, scale, true, i == to - 1 ? probe : null);
            outputAndMlp(l, x, n, w, ops);
            if (n > 1) {
                progress.layerDone(LayerProgress.Phase.PREFILL, i + 1, layers.length);
            }
        }
    }

    /**
     * One decode step for a batch: row b of {@code x} is sample b's new token, cached in {@code caches[b]}
     * at position {@code positions[b]} (or, when negative, right after what that layer has cached). The
     * projections and the MLP run on all rows at once (one pass over the weights); attention runs per
     * sample over its own cache. (A negative position continues each layer's own numbering:
     * {@link KvCache#nextPosition}.)
     */
    void decodeStep(float[] x, KvCache[] caches, int[] positions, Ops ops) {
        int n = caches.length;
        int h = cfg.hiddenSize();
        int d = cfg.headDim();
        int qWidth = cfg.heads() * d;
        int kvWidth = cfg.kvHeads() * d;
        Work w = new Work(n, h, qWidth, kvWidth, cfg.intermediateSize());
        float[] q = w.q();
        float[] k = w.k();
        float[] v = w.v();
        float[] attended = w.attended();
        float scale = (float) (1 / Math.sqrt(d));
        for (int i = 0; i < layers.length; i++) {
            Layer l = layers[i];
            projectQkv(l, x, n, w, ops);
            for (int b = 0; b < n; b++) {
                int[] position = {positions[b] >= 0 ? positions[b] : caches[b].nextPosition(i)};
                Rope.Table rope = Rope.Table.of(inverseFrequencies, position);
                ops.rope(Buffers.rows(q, b, qWidth), 1, cfg.heads(), d, qWidth, rope, position, cfg.ropeTheta());
                ops.rope(Buffers.rows(k, b, kvWidth), 1, cfg.kvHeads(), d, kvWidth, rope, position, cfg.ropeTheta());
                caches[b].append(i, Buffers.rows(k, b, kvWidth), Buffers.rows(v, b, kvWidth), 1);
                ops.attend(Buffers.rows(q, b, qWidth), qWidth, caches[b].keys(i), kvWidth, caches[b].values(i), kvWidth,
                        Buffers.rows(attended, b, qWidth), qWidth, 1, caches[b].length(i), cfg.heads(), cfg.kvHeads(), d, scale, true, null);
            }
            outputAndMlp(l, x, n, w, ops);
        }
    }

    /** Per-pass buffers for n rows. */
    private record Work(float[] normed, float[] q, float[] k, float[] v, float[] attended, float[] delta, float[] gate, float[] up) {
        Work(int n, int h, int qWidth, int kvWidth, int inter) {
            this(new float[n * h], new float[n * qWidth], new float[n * kvWidth], new float[n * kvWidth], new float[n * qWidth],
                    new float[n * h], new float[n * inter], new float[n * inter]);
        }
    }

    /** q, k, v of the n rows of x after the layer's input RMSNorm (into w.q/k/v, before RoPE). */
    private void projectQkv(Layer l, float[] x, int n, Work w, Ops ops) {
        int h = cfg.hiddenSize();
        ops.rmsNorm(seg(x), n, h, h, l.inputNorm(), cfg.rmsNormEps(), seg(w.normed()), h);
        ops.matmul(seg(w.normed()), n, h, h, l.q(), null, seg(w.q()), w.q().length / n);
        ops.matmul(seg(w.normed()), n, h, h, l.k(), null, seg(w.k()), w.k().length / n);
        ops.matmul(seg(w.normed()), n, h, h, l.v(), null, seg(w.v()), w.v().length / n);
    }

    /** x += o_proj(attended); x += down(silu(gate(h)) * up(h)) with h = RMSNorm(x). */
    private void outputAndMlp(Layer l, float[] x, int n, Work w, Ops ops) {
        int h = cfg.hiddenSize();
        int qWidth = w.q().length / n;
        int inter = cfg.intermediateSize();
        ops.matmul(seg(w.attended()), n, qWidth, qWidth, l.o(), null, seg(w.delta()), h);
        ops.add(seg(x), seg(w.delta()), seg(x), n * h);
        ops.rmsNorm(seg(x), n, h, h, l.postNorm(), cfg.rmsNormEps(), seg(w.normed()), h);
        ops.matmul(seg(w.normed()), n, h, h, l.gate(), null, seg(w.gate()), inter);
        ops.matmul(seg(w.normed()), n, h, h, l.up(), null, seg(w.up()), inter);
        ops.swiglu(seg(w.gate()), seg(w.up()), seg(w.gate()), n * inter);
        ops.matmul(seg(w.gate()), n, inter, inter, l.down(), null, seg(w.delta()), h);
        ops.add(seg(x), seg(w.delta()), seg(x), n * h);
    }

    /** Positions start, start+1, ... for n rows: a layer continuing after the rows it has cached. */
    private static int[] continuing(int start, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = start + i;
        }
        return p;
    }

    /**
     * The attention of {@code queryRows} over all n rows as layer {@code layer} would compute it on its
     * input {@code x} (its input norm, q/k projections, RoPE at {@code positions}, causal softmax), mean
     * over query heads, [queries x n] — without running the layer. PyramidDrop ranks tokens with it.
     */
    float[] lookAheadAttention(float[] x, int n, int layer, int[] positions, int[] queryRows, Ops ops) {
        int h = cfg.hiddenSize();
        int d = cfg.headDim();
        int qWidth = cfg.heads() * d;
        int kvWidth = cfg.kvHeads() * d;
        Layer l = layers[layer];
        float[] normed = new float[n * h];
        ops.rmsNorm(seg(x), n, h, h, l.inputNorm(), cfg.rmsNormEps(), seg(normed), h);
        float[] k = new float[n * kvWidth];
        ops.matmul(seg(normed), n, h, h, l.k(), null, seg(k), kvWidth);
        int m = queryRows.length;
        float[] queryInput = new float[m * h];
        int[] queryPositions = new int[m];
        for (int i = 0; i < m; i++) {
            System.arraycopy(normed, queryRows[i] * h, queryInput, i * h, h);
            queryPositions[i] = positions[queryRows[i]];
        }
        float[] q = new float[m * qWidth];
        ops.matmul(seg(queryInput), m, h, h, l.q(), null, seg(q), qWidth);
        ops.rope(seg(q), m, cfg.heads(), d, qWidth, Rope.Table.of(inverseFrequencies, queryPositions), queryPositions, cfg.ropeTheta());
        ops.rope(seg(k), n, cfg.kvHeads(), d, kvWidth, Rope.Table.of(inverseFrequencies, positions), positions, cfg.ropeTheta());
        float[] out = new float[m * n];
        float[] unused = new float[qWidth];
        // One query at a time, each seeing the keys up to its own row (causal), as the layer would.
        for (int i = 0; i < m; i++) {
            int keys = queryRows[i] + 1;
            AttentionProbe probe = AttentionProbe.of(new int[] {0}, keys);
            ops.attend(Buffers.rows(q, i, qWidth), qWidth, seg(k), kvWidth, seg(k), kvWidth, seg(unused), qWidth, 1, keys, cfg.heads(),
                    cfg.kvHeads(), d, (float) (1 / Math.sqrt(d)), true, probe);
            System.arraycopy(probe.mean(), 0, out, i * n, keys);
        }
        return out;
    }

    /** Logits of rows [first, first + rows) of the last layer's output: final RMSNorm, then lm_head. */
    float[] logits(float[] x, int first, int rows, Ops ops) {
        int h = cfg.hiddenSize();
        float[] normed = new float[rows * h];
        ops.rmsNorm(Buffers.rows(x, first, h), rows, h, h, finalNorm, cfg.rmsNormEps(), seg(normed), h);
        float[] out = new float[rows * cfg.vocabSize()];
        ops.matmul(seg(normed), rows, h, h, lmHead, null, seg(out), cfg.vocabSize());
        return out;
    }
}
