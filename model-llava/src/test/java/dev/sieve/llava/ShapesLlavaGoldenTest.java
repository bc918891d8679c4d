package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.llava.image.ClipImageProcessor;
import dev.sieve.llava.image.PixelValues;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled demo model (models/shapes-llava, trained by tools/train-shapes-llava.py) against the
 * logits and greedy tokens its PyTorch definition produced at training time, with the tolerances of
 * the Hugging Face goldens; and Sieve's preprocessing of the sample image against the pixel values
 * PyTorch was given.
 */
class ShapesLlavaGoldenTest {
    static final Path MODEL = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("models/shapes-llava");
    private static final ExecutionContext CTX = ExecutionContext.create(2);
    private static Llava llava;

    @BeforeAll
    static void load() {
        llava = Llava.load(MODEL);
    }

    @AfterAll
    static void close() {
        llava.close();
        CTX.close();
    }

    static List<Path> goldens() throws IOException {
        try (Stream<Path> files = Files.list(MODEL)) {
            List<Path> found = files.filter(p -> p.getFileName().toString().matches("golden_\\d+\\.safetensors")).sorted().toList();
            assertThat(found).as("golden files in " + MODEL).isNotEmpty();
            return found;
        }
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void logitsAndGreedyTokensMatchPyTorch(Path golden) {
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(golden)) {
            float[] pixels = g.tensor("pixel_values").toFloatArray();
            int[] ids = Arrays.stream(g.tensor("input_ids").toLongArray()).mapToInt(Math::toIntExact).toArray();
            float[] logits = g.tensor("logits").toFloatArray();
            int[] tokens = Arrays.stream(g.tensor("generate.new_tokens").toLongArray()).mapToInt(Math::toIntExact).toArray();
            Llava.Generation run = llava.generate(pixels, ids, tokens.length, new Ops(CTX));
            LlavaGoldenTest.close(run.promptLogits(), logits, golden.getFileName() + ": logits vs PyTorch");
            assertThat(run.newTokens()).as("greedy tokens").containsExactly(tokens);

            // The sample image goes through Sieve's CLIPImageProcessor to the same pixel values (float rounding apart).
            Path image = MODEL.resolve("samples").resolve(Path.of(g.metadata().get("image")).getFileName());
            PixelValues mine = ClipImageProcessor.fromConfigFile(MODEL.resolve("preprocessor_config.json")).process(image);
            for (int i = 0; i < pixels.length; i++) {
                assertThat(mine.chw()[i]).as("pixel %d", i).isCloseTo(pixels[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }
}
