package dev.sieve.llava;

import static dev.sieve.llava.Buffers.seg;

import dev.sieve.kernels.AttentionProbe;
import dev.sieve.kernels.PatchEmbedding;
import dev.sieve.kernels.WeightMatrix;
import dev.sieve.runtime.Ops;

/**
 * CLIP's pre-LN vision transformer as LLaVA uses it: patch embedding (unfold + GEMM, no bias),
 * [class; patches] + position embeddings, pre_layrnorm, then encoder layers up to the feature
 * layer only (the layers after it, and post_layernorm, are never computed).
 */
final class ClipVisionTower {
    private record Layer(float[] ln1w, float[] ln1b, WeightMatrix q, float[] qb, WeightMatrix k, float[] kb, WeightMatrix v,
                         float[] vb, WeightMatrix o, float[] ob, float[] ln2w, float[] ln2b, WeightMatrix fc1, float[] fc1b,
                         WeightMatrix fc2, float[] fc2b) {}

    private final LlavaConfig.Vision cfg;
    private final float[] classEmbedding;
    private final WeightMatrix patchEmbedding;
    private final float[] positionEmbedding;
    private final float[] preLnW;
    private final float[] preLnB;
    private final Layer[] layers;

    ClipVisionTower(LlavaConfig.Vision cfg, int layersToRun, Weights w) {
        this.cfg = cfg;
        String p = "vision_tower.vision_model.";
        int h = cfg.hiddenSize();
        int patch = cfg.patchSize();
        classEmbedding = w.vector(p + "embeddings.class_embedding", h);
        patchEmbedding = w.flattened(p + "embeddings.patch_embedding.weight", h, cfg.channels(), patch, patch);
        positionEmbedding = w.floats(p + "embeddings.position_embedding.weight", cfg.patches() + 1, h);
        preLnW = w.vector(p + "pre_layrnorm.weight", h);
        preLnB = w.vector(p + "pre_layrnorm.bias", h);
        layers = new Layer[layersToRun];
        int inter = cfg.intermediateSize();
        for (int i = 0; i < layersToRun; i++) {
            String l = p + "encoder.layers." + i + ".";
            layers[i] = new Layer(w.vector(l + "layer_norm1.weight", h), w.vector(l + "layer_norm1.bias", h),
                    w.matrix(l + "self_attn.q_proj.weight", h, h), w.vector(l + "self_attn.q_proj.bias", h),
                    w.matrix(l + "self_attn.k_proj.weight", h, h), w.vector(l + "self_attn.k_proj.bias", h),
                    w.matrix(l + "self_attn.v_proj.weight", h, h), w.vector(l + "self_attn.v_proj.bias", h),
                    w.matrix(l + "self_attn.out_proj.weight", h, h), w.vector(l + "self_attn.out_proj.bias", h),
                    w.vector(l + "layer_norm2.weight", h), w.vector(l + "layer_norm2.bias", h),
                    w.matrix(l + "mlp.fc1.weight", inter, h), w.vector(l + "mlp.fc1.bias", inter),
                    w.matrix(l + "mlp.fc2.weight", h, inter), w.vector(l + "mlp.fc2.bias", h));
        }
    }

    /** Told after each layer; set by {@link Llava#onProgress}. */
    volatile LayerProgress progress = LayerProgress.NONE;

    /** Layers this tower runs (up to and including the feature layer). */
    int layers() {
        return layers.length;
    }

    /**
     * Hidden states [1 + P, hidden] after the feature layer. When {@code clsProbe} is given, it
     * receives the feature layer's [CLS] attention row (mean over heads, 1 + P keys).
     */
    float[] forward(float[] pixels, Ops ops, AttentionProbe clsProbe) {
        float[] x = embed(pixels, ops);
        Scratch w = new Scratch(cfg.patches() + 1);
        for (int i = 0; i < layers.length; i++) {
            layer(i, x, cfg.patches() + 1, ops, i == layers.length - 1 ? clsProbe : null, null, w);
        }
        return x;
    }

    /** The input of layer 0: [CLS; patch embeddings] + position embeddings, pre-LN, (1 + P) x hidden. */
    float[] embed(float[] pixels, Ops ops) {
        int h = cfg.hiddenSize();
        int patch = cfg.patchSize();
        int patches = cfg.patches();
        int s = patches + 1;
        int k = cfg.channels() * patch * patch;
        float[] unfolded = new float[patches * k];
        PatchEmbedding.unfold(seg(pixels), cfg.channels(), cfg.imageSize(), cfg.imageSize(), patch, seg(unfolded));
        float[] x = new float[s * h];
        System.arraycopy(classEmbedding, 0, x, 0, h);
        ops.matmul(seg(unfolded), patches, k, k, patchEmbedding, null, Buffers.rows(x, 1, h), h);
        ops.add(seg(x), seg(positionEmbedding), seg(x), s * h);
        ops.layerNorm(seg(x), s, h, h, preLnW, preLnB, cfg.layerNormEps(), seg(x), h);
        return x;
    }

    /** Per-layer buffers for up to {@code rows} rows (reused across layers as rows are dropped). */
    final class Scratch {
        final float[] normed;
        final float[] q;
        final float[] k;
        final float[] v;
        final float[] attended;
        final float[] delta;
        final float[] mlp;

        Scratch(int rows) {
            int h = cfg.hiddenSize();
            normed = new float[rows * h];
            q = new float[rows * h];
            k = new float[rows * h];
            v = new float[rows * h];
            attended = new float[rows * h];
            delta = new float[rows * h];
            mlp = new float[rows * cfg.intermediateSize()];
        }
    }

    /**
     * Runs encoder layer {@code i} in place on the {@code s} rows of {@code x} (bidirectional attention
     * among them). {@code probe}, when given, receives its query rows' attention (mean over heads);
     * {@code keyMetric}, when given, the layer's keys averaged over heads (s x headDim).
     */
    void layer(int i, float[] x, int s, Ops ops, AttentionProbe probe, float[] keyMetric, Scratch w) {
        int h = cfg.hiddenSize();
        float scale = (float) Math.pow(cfg.headDim(), -0.5);
        Layer l = layers[i];
        ops.layerNorm(seg(x), s, h, h, l.ln1w(), l.ln1b(), cfg.layerNormEps(), seg(w.normed), h);
        ops.matmul(seg(w.normed), s, h, h, l.q(), l.qb(), seg(w.q), h);
        ops.matmul(seg(w.normed), s, h, h, l.k(), l.kb(), seg(w.k), h);
        ops.matmul(seg(w.normed), s, h, h, l.v(), l.vb(), seg(w.v), h);
        if (keyMetric != null) {
            averageHeads(w.k, s, cfg.heads(), cfg.headDim(), keyMetric);
        }
        ops.attend(seg(w.q), h, seg(w.k), h, seg(w.v), h, seg(w.attended), h, s, s, cfg.heads(), cfg.heads(), cfg.headDim(),
                scale, false, probe);
        ops.matmul(seg(w.attended), s, h, h, l.o(), l.ob(), seg(w.delta), h);
        ops.add(seg(x), seg(w.delta), seg(x), s * h);
        ops.layerNorm(seg(x), s, h, h, l.ln2w(), l.ln2b(), cfg.layerNormEps(), seg(w.normed), h);
        ops.matmul(seg(w.normed), s, h, h, l.fc1(), l.fc1b(), seg(w.mlp), cfg.intermediateSize());
        ops.quickGelu(seg(w.mlp), seg(w.mlp), s * cfg.intermediateSize());
        ops.matmul(seg(w.mlp), s, cfg.intermediateSize(), cfg.intermediateSize(), l.fc2(), l.fc2b(), seg(w.delta), h);
        ops.add(seg(x), seg(w.delta), seg(x), s * h);
        progress.layerDone(LayerProgress.Phase.VISION, i + 1, layers.length);
    }

    private static void averageHeads(float[] rows, int n, int heads, int headDim, float[] out) {
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < headDim; j++) {
                float sum = 0;
                for (int h = 0; h < heads; h++) {
                    sum += rows[(t * heads + h) * headDim + j];
                }
                out[t * headDim + j] = sum / heads;
            }
        }
    }
}
