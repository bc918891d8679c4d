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

    /**
     * Hidden states [1 + P, hidden] after the feature layer. When {@code clsProbe} is given, it
     * receives the feature layer's [CLS] attention row (mean over heads, 1 + P keys).
     */
    float[] forward(float[] pixels, Ops ops, AttentionProbe clsProbe) {
        return forward(pixels, ops, clsProbe, null);
    }

    /** As above; {@code keyMetric}, when given, receives the feature layer's keys averaged over heads ((1 + P) x headDim). */
    float[] forward(float[] pixels, Ops ops, AttentionProbe clsProbe, float[] keyMetric) {
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

        float[] normed = new float[s * h];
        float[] q = new float[s * h];
        float[] kk = new float[s * h];
        float[] v = new float[s * h];
        float[] attended = new float[s * h];
        float[] delta = new float[s * h];
        float[] mlp = new float[s * cfg.intermediateSize()];
        float scale = (float) Math.pow(cfg.headDim(), -0.5);
        for (int i = 0; i < layers.length; i++) {
            Layer l = layers[i];
            ops.layerNorm(seg(x), s, h, h, l.ln1w(), l.ln1b(), cfg.layerNormEps(), seg(normed), h);
            ops.matmul(seg(normed), s, h, h, l.q(), l.qb(), seg(q), h);
            ops.matmul(seg(normed), s, h, h, l.k(), l.kb(), seg(kk), h);
            ops.matmul(seg(normed), s, h, h, l.v(), l.vb(), seg(v), h);
            AttentionProbe probe = i == layers.length - 1 ? clsProbe : null;
            if (keyMetric != null && i == layers.length - 1) {
                averageHeads(kk, s, cfg.heads(), cfg.headDim(), keyMetric);
            }
            ops.attend(seg(q), h, seg(kk), h, seg(v), h, seg(attended), h, s, s, cfg.heads(), cfg.heads(), cfg.headDim(),
                    scale, false, probe);
            ops.matmul(seg(attended), s, h, h, l.o(), l.ob(), seg(delta), h);
            ops.add(seg(x), seg(delta), seg(x), s * h);
            ops.layerNorm(seg(x), s, h, h, l.ln2w(), l.ln2b(), cfg.layerNormEps(), seg(normed), h);
            ops.matmul(seg(normed), s, h, h, l.fc1(), l.fc1b(), seg(mlp), cfg.intermediateSize());
            ops.quickGelu(seg(mlp), seg(mlp), s * cfg.intermediateSize());
            ops.matmul(seg(mlp), s, cfg.intermediateSize(), cfg.intermediateSize(), l.fc2(), l.fc2b(), seg(delta), h);
            ops.add(seg(x), seg(delta), seg(x), s * h);
            progress.layerDone(LayerProgress.Phase.VISION, i + 1, layers.length);
        }
        return x;
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
