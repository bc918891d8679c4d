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
    /**
     * Each thread's buffers for passes of up to {@link #REUSED_ROWS} rows (decode steps, small
     * batches), kept between calls so a decode step allocates nothing of its size; larger passes
     * (prefill) take buffers of their own, freed with the pass. Per thread, so concurrent
     * generations on one model never share them.
     */
    private final ThreadLocal<Work> reused = new ThreadLocal<>();
    static final int REUSED_ROWS = 64;

    LlamaDecoder(LlavaConfig.Text cfg, Weights w) {
        this.cfg = cfg;
        String p = "language_model.model.";
        int h = cfg.hiddenSize();
        int qWidth = cfg.heads() * cfg.headDim();
        int kvWidth = cfg.kvHeads() * cfg.headDim();
        int inter = cfg.intermediateSize();
        embedTokens = w.storedMatrix(p + "embed_tokens.weight", cfg.vocabSize(), h);
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

    /** The embedding of token {@code id} into row {@code row} of {@code out}. */
    void embed(int id, float[] out, int row) {
        if (id < 0 || id >= cfg.vocabSize()) {
            throw new ModelException("token id " + id + " is outside the vocabulary of " + cfg.vocabSize());
        }
        int h = cfg.hiddenSize();
        for (int c = 0; c < h; c++) {
            out[row * h + c] = embedTokens.get(id, c);
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
        Work w = work(n);
        float[] q = w.q;
        float[] k = w.k;
        float[] v = w.v;
        float[] attended = w.attended;
        Rope.Table rope = w.rope;
        if (positions != null) {
            rope.fill(positions, n);
        }
        float scale = (float) (1 / Math.sqrt(d));
        for (int i = from; i < to; i++) {
            Layer l = layers[i];
            int[] layerPositions = positions;
            if (positions == null) {
                // Each layer continues its own numbering (KvCache.nextPosition: its length plus any gap pruning left).
                layerPositions = w.positions;
                for (int r = 0; r < n; r++) {
                    layerPositions[r] = cache.nextPosition(i) + r;
                }
                rope.fill(layerPositions, n);
            }
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
        Work w = work(n);
        float[] q = w.q;
        float[] k = w.k;
        float[] v = w.v;
        float[] attended = w.attended;
        int[] position = w.positions;
        Rope.Table rope = w.rope;
        float scale = (float) (1 / Math.sqrt(d));
        for (int i = 0; i < layers.length; i++) {
            Layer l = layers[i];
            projectQkv(l, x, n, w, ops);
            for (int b = 0; b < n; b++) {
                position[0] = positions[b] >= 0 ? positions[b] : caches[b].nextPosition(i);
                rope.fill(position, 1);
                ops.rope(Buffers.rows(q, b, qWidth), 1, cfg.heads(), d, qWidth, rope, position, cfg.ropeTheta());
                ops.rope(Buffers.rows(k, b, kvWidth), 1, cfg.kvHeads(), d, kvWidth, rope, position, cfg.ropeTheta());
                caches[b].append(i, Buffers.rows(k, b, kvWidth), Buffers.rows(v, b, kvWidth), 1);
                ops.attend(Buffers.rows(q, b, qWidth), qWidth, caches[b].keys(i), kvWidth, caches[b].values(i), kvWidth,
                        Buffers.rows(attended, b, qWidth), qWidth, 1, caches[b].length(i), cfg.heads(), cfg.kvHeads(), d, scale, true, null);
            }
            outputAndMlp(l, x, n, w, ops);
        }
    }

    /** Buffers of a pass of up to {@code rows} rows (row-major, each array's own width), positions and a RoPE table. */
    private static final class Work {
        final int rows;
        final float[] normed, q, k, v, attended, delta, gate, up;
        final int[] positions;
        final Rope.Table rope;

        Work(int rows, int h, int qWidth, int kvWidth, int inter, float[] inverseFrequencies) {
            this.rows = rows;
            normed = new float[rows * h];
            q = new float[rows * qWidth];
            k = new float[rows * kvWidth];
            v = new float[rows * kvWidth];
            attended = new float[rows * qWidth];
            delta = new float[rows * h];
            gate = new float[rows * inter];
            up = new float[rows * inter];
            positions = new int[Math.max(1, rows)];
            rope = new Rope.Table(inverseFrequencies);
        }
    }

    /** Buffers for an n-row pass: this thread's reused ones when n is small, else new ones. */
    private Work work(int n) {
        int d = cfg.headDim();
        if (n > REUSED_ROWS) {
            return new Work(n, cfg.hiddenSize(), cfg.heads() * d, cfg.kvHeads() * d, cfg.intermediateSize(), inverseFrequencies);
        }
        Work w = reused.get();
        if (w == null || w.rows < n) {
            w = new Work(Math.max(n, 1), cfg.hiddenSize(), cfg.heads() * d, cfg.kvHeads() * d, cfg.intermediateSize(), inverseFrequencies);
            reused.set(w);
        }
        return w;
    }

    /** q, k, v of the n rows of x after the layer's input RMSNorm (into w.q/k/v, before RoPE). */
    private void projectQkv(Layer l, float[] x, int n, Work w, Ops ops) {
        int h = cfg.hiddenSize();
        int qWidth = cfg.heads() * cfg.headDim();
        int kvWidth = cfg.kvHeads() * cfg.headDim();
        ops.rmsNorm(seg(x), n, h, h, l.inputNorm(), cfg.rmsNormEps(), seg(w.normed), h);
        ops.matmul(seg(w.normed), n, h, h, l.q(), null, seg(w.q), qWidth);
        ops.matmul(seg(w.normed), n, h, h, l.k(), null, seg(w.k), kvWidth);
        ops.matmul(seg(w.normed), n, h, h, l.v(), null, seg(w.v), kvWidth);
    }

    /** x += o_proj(attended); x += down(silu(gate(h)) * up(h)) with h = RMSNorm(x). */
    private void outputAndMlp(Layer l, float[] x, int n, Work w, Ops ops) {
        int h = cfg.hiddenSize();
        int qWidth = cfg.heads() * cfg.headDim();
        int inter = cfg.intermediateSize();
        ops.matmul(seg(w.attended), n, qWidth, qWidth, l.o(), null, seg(w.delta), h);
        ops.add(seg(x), seg(w.delta), seg(x), n * h);
        ops.rmsNorm(seg(x), n, h, h, l.postNorm(), cfg.rmsNormEps(), seg(w.normed), h);
        ops.matmul(seg(w.normed), n, h, h, l.gate(), null, seg(w.gate), inter);
        ops.matmul(seg(w.normed), n, h, h, l.up(), null, seg(w.up), inter);
        ops.swiglu(seg(w.gate), seg(w.up), seg(w.gate), n * inter);
        ops.matmul(seg(w.gate), n, inter, inter, l.down(), null, seg(w.delta), h);
        ops.add(seg(x), seg(w.delta), seg(x), n * h);
    }

    /** Layer {@code layer}'s q_proj weight (tests check where the load put it). */
    WeightMatrix layerQuery(int layer) {
        return layers[layer].q();
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
        float[] out = new float[rows * cfg.vocabSize()];
        logits(x, first, rows, out, ops);
        return out;
    }

    /**
     * As {@link #logits(float[], int, int, Ops)} into {@code out} (rows x vocabulary floats), with
     * no allocation for up to {@link #REUSED_ROWS} rows: lm_head runs only on the rows asked for.
     */
    void logits(float[] x, int first, int rows, float[] out, Ops ops) {
        int h = cfg.hiddenSize();
        float[] normed = rows <= REUSED_ROWS ? work(rows).normed : new float[rows * h];
        ops.rmsNorm(Buffers.rows(x, first, h), rows, h, h, finalNorm, cfg.rmsNormEps(), seg(normed), h);
        ops.matmul(seg(normed), rows, h, h, lmHead, null, seg(out), cfg.vocabSize());
    }
}
