package dev.sieve.llava.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PreprocessorConfigTest {
    private static final String LLAVA_336 = """
            {"crop_size": {"height": 336, "width": 336}, "do_center_crop": true, "do_convert_rgb": true,
             "do_normalize": true, "do_rescale": true, "do_resize": true,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
             "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3,
             "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 336}}
            """;

    @Test
    void parsesTheLlavaConfig() {
        PreprocessorConfig config = PreprocessorConfig.parse(LLAVA_336);
        assertThat(config).isEqualTo(PreprocessorConfig.clip(336));
        assertThat(config.rescaleFactor()).isEqualTo(1.0 / 255);
    }

    @Test
    void unsupportedResampleIsNamed() {
        assertThatThrownBy(() -> PreprocessorConfig.parse(LLAVA_336.replace("\"resample\": 3", "\"resample\": 2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported resample 2");
    }

    @Test
    void absentFieldsTakeClipDefaults() {
        PreprocessorConfig config = PreprocessorConfig.parse("{}");
        assertThat(config.shortestEdge()).isEqualTo(224);
        assertThat(config.cropHeight()).isEqualTo(224);
        assertThat(config.imageMean()).containsExactly(PreprocessorConfig.OPENAI_CLIP_MEAN);
    }

    @Test
    void sizeWithoutShortestEdgeIsRejected() {
        assertThatThrownBy(() -> PreprocessorConfig.parse("{\"size\": {\"height\": 3, \"width\": 3}}"))
                .hasMessageContaining("shortest_edge");
    }

    @Test
    void pixelValuesAreNormalisedChw() {
        ClipImageProcessor processor = new ClipImageProcessor(PreprocessorConfig.clip(2));
        PixelValues values = processor.toPixelValues(RgbImage.filled(2, 2, 255, 0, 122));
        float mean0 = (float) PreprocessorConfig.OPENAI_CLIP_MEAN[0];
        float std0 = (float) PreprocessorConfig.OPENAI_CLIP_STD[0];
        assertThat(values.get(0, 1, 1)).isEqualTo((1.0f - mean0) / std0);
        assertThat(values.get(1, 0, 0)).isEqualTo((0f - (float) PreprocessorConfig.OPENAI_CLIP_MEAN[1])
                / (float) PreprocessorConfig.OPENAI_CLIP_STD[1]);
        assertThat(values.chw()).hasSize(12);
    }
}
