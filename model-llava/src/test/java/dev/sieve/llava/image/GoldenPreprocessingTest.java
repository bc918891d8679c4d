package dev.sieve.llava.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.TensorView;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each pipeline step against the Hugging Face / Pillow goldens in shared/fixtures/preprocess. */
class GoldenPreprocessingTest {
    private static final String[][] IMAGES = {{"image_a", "image_a_97x61.png"}, {"image_b", "image_b_150x203.png"}};
    private static final int[] SIZES = {56, 70, 112, 336};
    private static final int[] PAD_SIZES = {56, 112};
    private static final double PIXEL_TOLERANCE = 1e-6;

    private static SafetensorsCheckpoint goldens;

    /** Opened on first use so that, without the fixtures, each test reports itself as skipped. */
    private static TensorView golden(String name) {
        if (goldens == null) {
            goldens = PreprocessGoldens.open();
        }
        return goldens.tensor(name);
    }

    @AfterAll
    static void closeGoldens() {
        if (goldens != null) {
            goldens.close();
            goldens = null;
        }
    }

    static List<Arguments> images() {
        List<Arguments> out = new ArrayList<>();
        for (String[] image : IMAGES) {
            out.add(Arguments.of(image[0], image[1]));
        }
        return out;
    }

    static List<Arguments> imagesAndSizes() {
        return cross(SIZES);
    }

    static List<Arguments> imagesAndPadSizes() {
        return cross(PAD_SIZES);
    }

    private static List<Arguments> cross(int[] sizes) {
        List<Arguments> out = new ArrayList<>();
        for (String[] image : IMAGES) {
            for (int s : sizes) {
                out.add(Arguments.of(image[0], image[1], s));
            }
        }
        return out;
    }

    private static RgbImage decoded(String file) {
        return ImageDecoder.decode(PreprocessGoldens.dir().resolve(file));
    }

    @ParameterizedTest(name = "{0} decodes to the golden rgb")
    @MethodSource("images")
    void decodesExactly(String name, String file) {
        assertThat(decoded(file)).isEqualTo(PreprocessGoldens.image(golden(name + ".rgb")));
    }

    @ParameterizedTest(name = "{0} s{2}: resized and cropped uint8 exact")
    @MethodSource("imagesAndSizes")
    void resizeAndCropAreBitExact(String name, String file, int size) {
        ClipImageProcessor processor = new ClipImageProcessor(PreprocessorConfig.clip(size));
        RgbImage resized = processor.resize(decoded(file));
        assertSameImage(resized, PreprocessGoldens.image(golden(name + ".s" + size + ".resized")));
        assertSameImage(processor.centerCrop(resized),
                PreprocessGoldens.image(golden(name + ".s" + size + ".cropped")));
    }

    @ParameterizedTest(name = "{0} s{2}: pixel_values within 1e-6")
    @MethodSource("imagesAndSizes")
    void pixelValuesMatch(String name, String file, int size) {
        ClipImageProcessor processor = new ClipImageProcessor(PreprocessorConfig.clip(size));
        assertPixelValues(processor.process(decoded(file)), golden(name + ".s" + size + ".pixel_values"), size);
    }

    @ParameterizedTest(name = "{0} pad s{2}: square exact, pixel_values within 1e-6")
    @MethodSource("imagesAndPadSizes")
    void paddedVariantMatches(String name, String file, int size) {
        ClipImageProcessor processor = new ClipImageProcessor(PreprocessorConfig.clip(size));
        RgbImage image = decoded(file);
        assertSameImage(processor.padToSquare(image),
                PreprocessGoldens.image(golden(name + ".pad.s" + size + ".square")));
        assertPixelValues(processor.processPaddedToSquare(image),
                golden(name + ".pad.s" + size + ".pixel_values"), size);
    }

    @ParameterizedTest(name = "config file with S=336 gives the golden {0} pixel_values")
    @MethodSource("images")
    void configFileDrivesThePipeline(String name, String file) {
        Path config = PreprocessGoldens.dir().resolve("preprocessor_config.json");
        ClipImageProcessor processor = ClipImageProcessor.fromConfigFile(config);
        assertThat(processor.config()).isEqualTo(PreprocessorConfig.clip(336));
        assertPixelValues(processor.process(PreprocessGoldens.dir().resolve(file)),
                golden(name + ".s336.pixel_values"), 336);
    }

    private static void assertSameImage(RgbImage actual, RgbImage expected) {
        assertThat(actual.width()).as("width").isEqualTo(expected.width());
        assertThat(actual.height()).as("height").isEqualTo(expected.height());
        int mismatches = 0;
        int worst = 0;
        for (int i = 0; i < actual.pixels().length; i++) {
            int d = Math.abs((actual.pixels()[i] & 0xFF) - (expected.pixels()[i] & 0xFF));
            if (d != 0) {
                mismatches++;
                worst = Math.max(worst, d);
            }
        }
        assertThat(mismatches).as("bytes differing (worst by %d)", worst).isZero();
    }

    private static void assertPixelValues(PixelValues actual, TensorView expected, int size) {
        assertThat(expected.shape()).containsExactly(1, 3, size, size);
        assertThat(actual.height()).isEqualTo(size);
        assertThat(actual.width()).isEqualTo(size);
        float[] want = expected.toFloatArray();
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(actual.chw()[i] - want[i]));
        }
        assertThat(worst).as("max |pixel_values - golden|").isCloseTo(0.0, within(PIXEL_TOLERANCE));
    }
}
