package dev.sieve.llava;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Writes a random-weight checkpoint in the llava-hf layout with real model shapes (e.g. LLaVA-1.5-7B:
 * CLIP ViT-L/14-336 + Vicuna-7B) as sharded F16 or BF16 safetensors with an index — what the real
 * checkpoint looks like to a loader, without downloading 14 GB. One shard per few decoder layers, each
 * built in native memory and written atomically, so memory use stays at one shard.
 */
public final class SyntheticCheckpoint {
    /** Sizes of a LLaVA-style model. */
    public record Shape(int visionHidden, int visionIntermediate, int visionLayers, int visionHeads, int imageSize, int patchSize,
                        int textHidden, int textIntermediate, int textLayers, int textHeads, int textKvHeads, int vocab, int maxPositions) {
        public Shape withTextLayers(int layers) {
            return new Shape(visionHidden, visionIntermediate, visionLayers, visionHeads, imageSize, patchSize, textHidden, textIntermediate,
                    layers, textHeads, textKvHeads, vocab, maxPositions);
        }
    }

    /** llava-hf/llava-1.5-7b-hf. */
    public static final Shape LLAVA_15_7B = new Shape(1024, 4096, 24, 16, 336, 14, 4096, 11008, 32, 32, 32, 32064, 4096);
    /** llava-hf/llava-1.5-13b-hf. */
    public static final Shape LLAVA_15_13B = new Shape(1024, 4096, 24, 16, 336, 14, 5120, 13824, 40, 40, 40, 32064, 4096);

    private static final int LAYERS_PER_SHARD = 4;

    private SyntheticCheckpoint() {}

    /** Writes config.json, preprocessor_config.json and the shards with their index into {@code dir}; returns bytes written. */
    public static long write(Path dir, Shape s, DType dtype, long seed) {
        if (dtype != DType.F16 && dtype != DType.BF16 && dtype != DType.F32) {
            throw new IllegalArgumentException("dtype must be F16, BF16 or F32, not " + dtype);
        }
        try {
            Files.createDirectories(dir);
            List<Map<String, long[]>> shards = new ArrayList<>();
            Map<String, long[]> first = new LinkedHashMap<>();
            String v = "vision_tower.vision_model.";
            int hv = s.visionHidden();
            int patches = (s.imageSize() / s.patchSize()) * (s.imageSize() / s.patchSize());
            first.put(v + "embeddings.class_embedding", new long[] {hv});
            first.put(v + "embeddings.patch_embedding.weight", new long[] {hv, 3, s.patchSize(), s.patchSize()});
            first.put(v + "embeddings.position_embedding.weight", new long[] {patches + 1, hv});
            for (String ln : new String[] {"pre_layrnorm", "post_layernorm"}) {
                first.put(v + ln + ".weight", new long[] {hv});
                first.put(v + ln + ".bias", new long[] {hv});
            }
            for (int l = 0; l < s.visionLayers(); l++) {
                String p = v + "encoder.layers." + l + ".";
                for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                    first.put(p + "self_attn." + proj + ".weight", new long[] {hv, hv});
                    first.put(p + "self_attn." + proj + ".bias", new long[] {hv});
                }
                first.put(p + "mlp.fc1.weight", new long[] {s.visionIntermediate(), hv});
                first.put(p + "mlp.fc1.bias", new long[] {s.visionIntermediate()});
                first.put(p + "mlp.fc2.weight", new long[] {hv, s.visionIntermediate()});
                first.put(p + "mlp.fc2.bias", new long[] {hv});
                for (String ln : new String[] {"layer_norm1", "layer_norm2"}) {
                    first.put(p + ln + ".weight", new long[] {hv});
                    first.put(p + ln + ".bias", new long[] {hv});
                }
            }
            int ht = s.textHidden();
            first.put("multi_modal_projector.linear_1.weight", new long[] {ht, hv});
            first.put("multi_modal_projector.linear_1.bias", new long[] {ht});
            first.put("multi_modal_projector.linear_2.weight", new long[] {ht, ht});
            first.put("multi_modal_projector.linear_2.bias", new long[] {ht});
            first.put("language_model.model.embed_tokens.weight", new long[] {s.vocab(), ht});
            first.put("language_model.model.norm.weight", new long[] {ht});
            first.put("language_model.lm_head.weight", new long[] {s.vocab(), ht});
            shards.add(first);
            int kv = ht / s.textHeads() * s.textKvHeads();
            for (int l0 = 0; l0 < s.textLayers(); l0 += LAYERS_PER_SHARD) {
                Map<String, long[]> shard = new LinkedHashMap<>();
                for (int l = l0; l < Math.min(s.textLayers(), l0 + LAYERS_PER_SHARD); l++) {
                    String p = "language_model.model.layers." + l + ".";
                    shard.put(p + "self_attn.q_proj.weight", new long[] {ht, ht});
                    shard.put(p + "self_attn.k_proj.weight", new long[] {kv, ht});
                    shard.put(p + "self_attn.v_proj.weight", new long[] {kv, ht});
                    shard.put(p + "self_attn.o_proj.weight", new long[] {ht, ht});
                    shard.put(p + "mlp.gate_proj.weight", new long[] {s.textIntermediate(), ht});
                    shard.put(p + "mlp.up_proj.weight", new long[] {s.textIntermediate(), ht});
                    shard.put(p + "mlp.down_proj.weight", new long[] {ht, s.textIntermediate()});
                    shard.put(p + "input_layernorm.weight", new long[] {ht});
                    shard.put(p + "post_attention_layernorm.weight", new long[] {ht});
                }
                shards.add(shard);
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode weightMap = json.createObjectNode();
            long total = 0;
            for (int i = 0; i < shards.size(); i++) {
                String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                SafetensorsWriter writer = SafetensorsWriter.to(dir.resolve(name)).metadata("format", "pt");
                try (Arena arena = Arena.ofShared()) {  // shared: filled from several threads
                    for (Map.Entry<String, long[]> t : shards.get(i).entrySet()) {
                        long n = 1;
                        for (long d : t.getValue()) {
                            n *= d;
                        }
                        MemorySegment bytes = arena.allocate(n * dtype.byteSize(), 8);
                        fill(bytes, n, dtype, t.getKey(), t.getValue(), seed ^ t.getKey().hashCode());
                        writer.add(t.getKey(), dtype, t.getValue(), bytes);
                        weightMap.put(t.getKey(), name);
                        total += bytes.byteSize();
                    }
                    writer.write();
                }
            }
            ObjectNode index = json.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            index.set("weight_map", weightMap);
            json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
            writeConfigs(dir, s, dtype, json);
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Norm weights 1 and biases 0 (as initialised models have); matrices uniform with the variance of
     * a 1/sqrt(fan_in) init, so activations stay in range through all layers.
     */
    private static void fill(MemorySegment bytes, long n, DType dtype, String name, long[] shape, long seed) {
        boolean norm = name.contains("norm") || name.contains("layer_norm");
        boolean bias = name.endsWith(".bias");
        double fanIn = 1;
        for (int d = 1; d < shape.length; d++) {
            fanIn *= shape[d];
        }
        float scale = (float) (shape.length == 1 ? 0.02 : Math.sqrt(3.0 / fanIn));
        int chunks = (int) Math.min(64, Math.max(1, n >> 20));
        IntStream.range(0, chunks).parallel().forEach(c -> {
            long from = n * c / chunks;
            long to = n * (c + 1) / chunks;
            SplittableRandom random = new SplittableRandom(seed * 31 + c);
            for (long i = from; i < to; i++) {
                float x = norm && !bias ? 1f : bias ? 0f : (float) (random.nextDouble() * 2 - 1) * scale;
                switch (dtype) {
                    case F16 -> bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, Float.floatToFloat16(x));
                    case BF16 -> bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) (Float.floatToRawIntBits(x) >>> 16));
                    default -> bytes.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * i, x);
                }
            }
        });
    }

    /**
     * Random LVPruning modules for shape {@code s} into {@code dir}/lvpruning (modules.safetensors + config.json),
     * the layout tools/train-lvpruning.py writes: one module after the last layer of the first quarter and one
     * after the last layer of the first half, keeping half of the visual tokens and then a tenth, so 90% are
     * removed by the middle layer, as the paper reports. Width 256, 8 heads. For latency and FLOPs only: the
     * modules are untrained.
     */
    public static void writeLvPruning(Path dir, Shape s, long seed) {
        int patches = (s.imageSize() / s.patchSize()) * (s.imageSize() / s.patchSize());
        int first = Math.max(0, s.textLayers() / 4 - 1);
        int second = Math.max(first + 1, s.textLayers() / 2 - 1);
        if (second >= s.textLayers() - 1) {
            throw new IllegalArgumentException("LVPruning modules need at least 3 decoder layers, the shape has " + s.textLayers());
        }
        int width = 256;
        int h = s.textHidden();
        SplittableRandom random = new SplittableRandom(seed);
        SafetensorsWriter writer = SafetensorsWriter.to(dir.resolve("lvpruning").resolve("modules.safetensors")).metadata("format", "pt");
        for (int m = 0; m < 2; m++) {
            String p = "modules." + m + ".";
            float[] norm = new float[h];
            java.util.Arrays.fill(norm, 1f);
            writer.addFloats(p + "norm.weight", DType.F32, new long[] {h}, norm);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
                writer.addFloats(p + proj + ".weight", DType.F32, new long[] {width, h}, uniform(random, width * h, Math.sqrt(3.0 / h)));
            }
            writer.addFloats(p + "head.weight", DType.F32, new long[] {2, width}, uniform(random, 2 * width, Math.sqrt(3.0 / width)));
            writer.addFloats(p + "head.bias", DType.F32, new long[] {2}, new float[2]);
        }
        try {
            Files.createDirectories(dir.resolve("lvpruning"));
            writer.write();
            ObjectMapper json = new ObjectMapper();
            java.util.Map<String, Object> config = new java.util.LinkedHashMap<>();
            config.put("method", "lvpruning");
            config.put("layers", new int[] {first, second});
            config.put("budgets", new int[] {patches / 2, Math.max(1, patches / 10)});
            config.put("hidden_size", h);
            config.put("width", width);
            config.put("heads", 8);
            config.put("rms_norm_eps", 1e-5);
            config.put("keys", "text_after_image");
            config.put("trained", false);
            json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("lvpruning").resolve("config.json").toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] uniform(SplittableRandom random, int n, double scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return out;
    }

    private static void writeConfigs(Path dir, Shape s, DType dtype, ObjectMapper json) throws IOException {
        ObjectNode config = json.createObjectNode();
        config.putArray("architectures").add("LlavaForConditionalGeneration");
        // llava-hf: <image> = 32000 and <pad> = 32001 in a 32064-row vocabulary; smaller vocabularies end with them.
        int image = Math.min(32000, s.vocab() - 2);
        config.put("image_token_index", image).put("model_type", "llava").put("pad_token_id", image + 1)
                .put("projector_hidden_act", "gelu").put("tie_word_embeddings", false)
                .put("vision_feature_layer", -2).put("vision_feature_select_strategy", "default");
        String torchDtype = dtype == DType.F16 ? "float16" : dtype == DType.BF16 ? "bfloat16" : "float32";
        config.put("torch_dtype", torchDtype);
        config.putObject("text_config").put("model_type", "llama").put("hidden_size", s.textHidden())
                .put("intermediate_size", s.textIntermediate()).put("num_hidden_layers", s.textLayers())
                .put("num_attention_heads", s.textHeads()).put("num_key_value_heads", s.textKvHeads())
                .put("max_position_embeddings", s.maxPositions()).put("rms_norm_eps", 1e-5).put("vocab_size", s.vocab())
                .put("torch_dtype", torchDtype);
        config.putObject("vision_config").put("model_type", "clip_vision_model").put("hidden_size", s.visionHidden())
                .put("intermediate_size", s.visionIntermediate()).put("num_hidden_layers", s.visionLayers())
                .put("num_attention_heads", s.visionHeads()).put("image_size", s.imageSize()).put("patch_size", s.patchSize())
                .put("projection_dim", 768);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        ObjectNode pre = json.createObjectNode();
        pre.putObject("crop_size").put("height", s.imageSize()).put("width", s.imageSize());
        pre.put("do_center_crop", true).put("do_convert_rgb", true).put("do_normalize", true).put("do_rescale", true)
                .put("do_resize", true).put("image_processor_type", "CLIPImageProcessor").put("resample", 3)
                .put("rescale_factor", 1 / 255.0);
        pre.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
        pre.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
        pre.putObject("size").put("shortest_edge", s.imageSize());
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("preprocessor_config.json").toFile(), pre);
    }
}
