package dev.sieve.llava;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A llava-hf {@code config.json} ({@code LlavaConfig} with a nested {@code CLIPVisionConfig} and
 * {@code LlamaConfig}), with the transformers defaults filled in for what real configs omit
 * (llava-1.5-7b-hf's text_config, for one, names almost nothing). Options Sieve does not
 * implement are refused by name rather than ignored.
 */
public record LlavaConfig(Vision vision, Text text, int imageTokenIndex, int visionFeatureLayer, boolean keepClsFeature) {

    /** CLIPVisionConfig. */
    public record Vision(int hiddenSize, int intermediateSize, int layers, int heads, int imageSize, int patchSize, int channels,
                         float layerNormEps) {
        public int headDim() {
            return hiddenSize / heads;
        }

        public int patches() {
            return (imageSize / patchSize) * (imageSize / patchSize);
        }
    }

    /** LlamaConfig. */
    public record Text(int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads, int headDim, int vocabSize,
                       float rmsNormEps, double ropeTheta, int maxPositions) {}

    /** Number of CLIP encoder layers LLaVA runs: up to the feature layer; the rest are never computed. */
    public int visionLayersToRun() {
        int index = visionFeatureLayer < 0 ? vision.layers() + 1 + visionFeatureLayer : visionFeatureLayer;
        return index;
    }

    public static LlavaConfig load(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read config: " + JsonMessages.oneLine(e));
        }
        if (root == null || !root.isObject()) {
            throw new ModelException(file + ": not a JSON object");
        }
        return parse(file, root);
    }

    static LlavaConfig parse(Path file, JsonNode root) {
        expect(file, root, "model_type", "llava");
        expect(file, root, "projector_hidden_act", "gelu");
        String strategy = text(root, "vision_feature_select_strategy", "default");
        if (!strategy.equals("default") && !strategy.equals("full")) {
            throw new ModelException(file + ": vision_feature_select_strategy \"" + strategy + "\" is not supported (default, full)");
        }
        if (root.path("vision_feature_layer").isArray()) {
            throw new ModelException(file + ": a list of vision_feature_layer values is not supported (one layer index)");
        }
        JsonNode v = section(file, root, "vision_config");
        JsonNode t = section(file, root, "text_config");
        expect(file, v, "model_type", "clip_vision_model");
        expect(file, v, "hidden_act", "quick_gelu");
        expect(file, t, "model_type", "llama");
        expect(file, t, "hidden_act", "silu");
        if (t.hasNonNull("rope_scaling")) {
            throw new ModelException(file + ": text_config.rope_scaling " + t.get("rope_scaling") + " is not supported");
        }
        if (t.path("attention_bias").asBoolean(false) || t.path("mlp_bias").asBoolean(false)) {
            throw new ModelException(file + ": Llama attention_bias/mlp_bias are not supported");
        }
        if (root.path("tie_word_embeddings").asBoolean(false) || t.path("tie_word_embeddings").asBoolean(false)) {
            throw new ModelException(file + ": tied word embeddings are not supported (LLaVA-1.5 has its own lm_head)");
        }
        String vc = "vision_config.", tc = "text_config.";
        Vision vision = new Vision(
                positive(file, v, vc, "hidden_size", 768), positive(file, v, vc, "intermediate_size", 3072),
                positive(file, v, vc, "num_hidden_layers", 12), positive(file, v, vc, "num_attention_heads", 12),
                positive(file, v, vc, "image_size", 224), positive(file, v, vc, "patch_size", 32), positive(file, v, vc, "num_channels", 3),
                (float) positiveNumber(file, v, vc, "layer_norm_eps", 1e-5));
        if (vision.patchSize() > vision.imageSize()) {
            throw new ModelException(file + ": vision_config.patch_size " + vision.patchSize() + " is larger than image_size " + vision.imageSize());
        }
        int heads = positive(file, t, tc, "num_attention_heads", 32);
        int hidden = positive(file, t, tc, "hidden_size", 4096);
        Text text = new Text(hidden, positive(file, t, tc, "intermediate_size", 11008), positive(file, t, tc, "num_hidden_layers", 32), heads,
                positive(file, t, tc, "num_key_value_heads", heads), positive(file, t, tc, "head_dim", Math.max(1, hidden / heads)),
                positive(file, t, tc, "vocab_size", 32000), (float) positiveNumber(file, t, tc, "rms_norm_eps", 1e-6),
                positiveNumber(file, t, tc, "rope_theta", 10000.0), positive(file, t, tc, "max_position_embeddings", 2048));
        if (text.heads() % text.kvHeads() != 0 || vision.hiddenSize() % vision.heads() != 0) {
            throw new ModelException(file + ": attention heads must divide evenly (text " + text.heads() + "/" + text.kvHeads()
                    + ", vision hidden " + vision.hiddenSize() + "/" + vision.heads() + ")");
        }
        LlavaConfig config = new LlavaConfig(vision, text, integer(file, root, "", "image_token_index", 32000),
                integer(file, root, "", "vision_feature_layer", -2), strategy.equals("full"));
        if (config.imageTokenIndex() < 0) {
            throw new ModelException(file + ": image_token_index must be >= 0, got " + config.imageTokenIndex());
        }
        int run = config.visionLayersToRun();
        if (run < 0 || run > vision.layers()) {
            throw new ModelException(file + ": vision_feature_layer " + config.visionFeatureLayer() + " is outside the "
                    + vision.layers() + " CLIP layers");
        }
        return config;
    }

    private static void expect(Path file, JsonNode node, String key, String expected) {
        String actual = text(node, key, expected);
        if (!actual.equals(expected)) {
            throw new ModelException(file + ": " + key + " \"" + actual + "\" is not supported (expected \"" + expected + "\")");
        }
    }

    private static String text(JsonNode node, String key, String fallback) {
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? fallback : value.asText();
    }

    /** The object under {@code key}; absent (or null) is an empty one, so every field takes its transformers default. */
    private static JsonNode section(Path file, JsonNode root, String key) {
        JsonNode value = root.path(key);
        if (!value.isMissingNode() && !value.isNull() && !value.isObject()) {
            throw new ModelException(file + ": " + key + " must be an object, got " + value);
        }
        return value;
    }

    /** An integer field; {@code prefix} is its section ("text_config.") for the message. */
    private static int integer(Path file, JsonNode node, String prefix, String key, int fallback) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.canConvertToExactIntegral()) {
            throw new ModelException(file + ": " + prefix + key + " must be an integer, got " + value);
        }
        if (!value.canConvertToInt()) {
            throw new ModelException(file + ": " + prefix + key + " " + value + " is beyond the 32-bit integers Sieve supports");
        }
        return value.asInt();
    }

    private static int positive(Path file, JsonNode node, String prefix, String key, int fallback) {
        int value = integer(file, node, prefix, key, fallback);
        if (value < 1) {
            throw new ModelException(file + ": " + prefix + key + " must be >= 1, got " + value);
        }
        return value;
    }

    private static double positiveNumber(Path file, JsonNode node, String prefix, String key, double fallback) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber() || !(value.asDouble() > 0) || Double.isInfinite(value.asDouble())) {
            throw new ModelException(file + ": " + prefix + key + " must be a positive number, got " + value);
        }
        return value.asDouble();
    }
}
