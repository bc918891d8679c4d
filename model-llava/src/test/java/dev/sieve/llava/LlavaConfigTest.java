package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LlavaConfigTest {
    private static LlavaConfig parse(String json) throws Exception {
        return LlavaConfig.parse(Path.of("config.json"), new ObjectMapper().readTree(json));
    }

    /** llava-hf/llava-1.5-7b-hf's config names almost nothing of the text model: the defaults must fill it in. */
    @Test
    void llava15SevenBFillsTransformersDefaults() throws Exception {
        LlavaConfig c = parse("""
                {"architectures": ["LlavaForConditionalGeneration"], "ignore_index": -100, "image_token_index": 32000,
                 "model_type": "llava", "pad_token_id": 32001, "projector_hidden_act": "gelu",
                 "text_config": {"_name_or_path": "lmsys/vicuna-7b-v1.5", "architectures": ["LlamaForCausalLM"],
                                 "max_position_embeddings": 4096, "model_type": "llama", "rms_norm_eps": 1e-05,
                                 "torch_dtype": "float16", "vocab_size": 32064},
                 "tie_word_embeddings": false, "torch_dtype": "float16", "transformers_version": "4.36.0.dev0",
                 "vision_config": {"hidden_size": 1024, "image_size": 336, "intermediate_size": 4096, "model_type": "clip_vision_model",
                                   "num_attention_heads": 16, "num_hidden_layers": 24, "patch_size": 14, "projection_dim": 768,
                                   "vocab_size": 32000},
                 "vision_feature_layer": -2, "vision_feature_select_strategy": "default", "vocab_size": 32064}""");
        assertThat(c.text().hiddenSize()).isEqualTo(4096);
        assertThat(c.text().intermediateSize()).isEqualTo(11008);
        assertThat(c.text().layers()).isEqualTo(32);
        assertThat(c.text().kvHeads()).isEqualTo(32);
        assertThat(c.text().headDim()).isEqualTo(128);
        assertThat(c.text().ropeTheta()).isEqualTo(10000.0);
        assertThat(c.text().vocabSize()).isEqualTo(32064);
        assertThat(c.vision().patches()).isEqualTo(576);
        assertThat(c.vision().layerNormEps()).isEqualTo(1e-5f);
        assertThat(c.visionLayersToRun()).isEqualTo(23);
        assertThat(c.keepClsFeature()).isFalse();
    }

    @Test
    void unsupportedOptionsAreRefusedByName() {
        assertThatThrownBy(() -> parse("{\"model_type\": \"llava_next\"}")).isInstanceOf(ModelException.class).hasMessageContaining("llava_next");
        assertThatThrownBy(() -> parse("{\"model_type\": \"llava\", \"text_config\": {\"rope_scaling\": {\"type\": \"linear\"}}}"))
                .isInstanceOf(ModelException.class).hasMessageContaining("rope_scaling");
        assertThatThrownBy(() -> parse("{\"model_type\": \"llava\", \"vision_feature_select_strategy\": \"cls\"}"))
                .isInstanceOf(ModelException.class).hasMessageContaining("cls");
        assertThatThrownBy(() -> parse("{\"model_type\": \"llava\", \"vision_feature_layer\": -30}"))
                .isInstanceOf(ModelException.class).hasMessageContaining("vision_feature_layer");
    }

    /** A size that is not a positive integer, or a section that is not an object, is one message naming the field and the value. */
    @Test
    void badSizesAreRefusedByFieldAndValue() {
        String[][] cases = {
            {"\"text_config\": {\"hidden_size\": \"big\"}", "text_config.hidden_size must be an integer, got \"big\""},
            {"\"text_config\": {\"hidden_size\": 2.5}", "text_config.hidden_size must be an integer, got 2.5"},
            {"\"text_config\": {\"num_attention_heads\": 0}", "text_config.num_attention_heads must be >= 1, got 0"},
            {"\"text_config\": {\"num_key_value_heads\": -1}", "text_config.num_key_value_heads must be >= 1, got -1"},
            {"\"text_config\": {\"max_position_embeddings\": 1e12}", "text_config.max_position_embeddings 1.0E12 is beyond the 32-bit"},
            {"\"text_config\": {\"rms_norm_eps\": \"x\"}", "text_config.rms_norm_eps must be a positive number, got \"x\""},
            {"\"text_config\": {\"rope_theta\": 0}", "text_config.rope_theta must be a positive number, got 0"},
            {"\"vision_config\": {\"image_size\": 0}", "vision_config.image_size must be >= 1, got 0"},
            {"\"vision_config\": {\"image_size\": 336, \"patch_size\": 400}", "vision_config.patch_size 400 is larger than image_size 336"},
            {"\"text_config\": \"llama\"", "text_config must be an object, got \"llama\""},
            {"\"image_token_index\": -5", "image_token_index must be >= 0, got -5"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> parse("{\"model_type\": \"llava\", " + c[0] + "}")).as(c[0])
                    .isInstanceOf(ModelException.class).hasMessageStartingWith("config.json: " + c[1]);
        }
    }

    @Test
    void anUnreadableFileIsOneLineWithItsLineAndColumn(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("config.json"), "{\n  \"model_type\": \"llava\",\n");
        assertThatThrownBy(() -> LlavaConfig.load(dir)).isInstanceOf(ModelException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("REDACTED").contains("cannot read config")
                        .contains("at line 3, column 1"));
    }
}
