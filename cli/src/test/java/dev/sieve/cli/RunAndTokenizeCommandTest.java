package dev.sieve.cli;

import static dev.sieve.cli.InspectCommandTest.sieve;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sieve run} and {@code sieve tokenize} on the example model with a 299-piece SentencePiece
 * BPE tokenizer (test resource tiny-vocab299.model, made with Debian's spm_train:
 * {@code --vocab_size=299 --model_type=bpe --byte_fallback=true --normalization_rule_name=identity}),
 * so that <image> is the added token 299 as in the model's config. The weights are random: the
 * answer is noise, but every step of the pipeline runs.
 */
class RunAndTokenizeCommandTest {
    private static final Path EXAMPLE = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("examples/tiny-llava");

    @TempDir
    Path dir;

    Path model;
    Path image;

    @BeforeEach
    void modelWithTokenizer() throws IOException {
        model = Files.createDirectory(dir.resolve("model"));
        for (String f : new String[] {"config.json", "model.safetensors", "preprocessor_config.json", "generation_config.json"}) {
            Files.copy(EXAMPLE.resolve(f), model.resolve(f));
        }
        try (InputStream in = getClass().getResourceAsStream("tiny-vocab299.model")) {
            Files.copy(in, model.resolve("tokenizer.model"));
        }
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(80, 60, java.awt.image.BufferedImage.TYPE_INT_RGB);
        img.setRGB(10, 10, 0xff0000);
        image = dir.resolve("img.png");
        javax.imageio.ImageIO.write(img, "png", image.toFile());
    }

    @Test
    void tokenizeAddsTheImageTokenOfTheModelAndBosOnRequest() {
        InspectCommandTest.Result r = sieve("tokenize", "--tokenizer", model.toString(), "--text", "<image>", "--bos");
        assertThat(r.code()).isZero();
        assertThat(r.out().strip()).startsWith("1 ").endsWith(" 299");
        InspectCommandTest.Result plain = sieve("tokenize", "--tokenizer", model.resolve("tokenizer.model").toString(), "--text", "the");
        assertThat(plain.out().strip()).doesNotStartWith("1 ").doesNotContain("299");
    }

    @Test
    void runAnswersAndPrintsTheTimingLine() {
        InspectCommandTest.Result r = sieve("run", "--model", model.toString(), "--image", image.toString(), "--prompt",
                "What colour is the square?", "--max-new-tokens", "4", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("-- image ").contains("prefill ").contains("decode ");
        assertThat(r.err()).startsWith("loading ");
        assertThat(RunCommand.llava15Prompt("Hi?")).isEqualTo("USER: <image>\nHi? ASSISTANT:");
        assertThat(RunCommand.llava15Prompt("<image> as is")).isEqualTo("<image> as is");
    }

    @Test
    void anUndecodableImageIsOneLineAndExitCode2() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.png"), "not a png");
        InspectCommandTest.Result r = sieve("run", "--model", model.toString(), "--image", bad.toString(), "--prompt", "x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).contains("bad.png");
    }

    @Test
    void aModelWithoutTokenizerIsNamed() throws IOException {
        Files.delete(model.resolve("tokenizer.model"));
        InspectCommandTest.Result r = sieve("run", "--model", model.toString(), "--image", image.toString(), "--prompt", "x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no tokenizer.model");
    }

    @Test
    void runPrunesWhenAsked() {
        InspectCommandTest.Result r = sieve("run", "--model", model.toString(), "--image", image.toString(), "--prompt",
                "What colour is the square?", "--max-new-tokens", "2", "--prune", "vispruner:keep=8+fastv:k=2,keep=4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("-- visual tokens 16 -> 4 (vispruner:keep=8+fastv:k=2,keep=4)").contains("of unpruned, tokens per layer [");
        InspectCommandTest.Result bad = sieve("run", "--model", model.toString(), "--image", image.toString(), "--prompt", "x",
                "--prune", "fastv:k=2,keep=40");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().lines()).hasSize(1);
        assertThat(bad.err()).contains("outside 0..16");
    }

    @Test
    void hugeMaxNewTokensAndDecompressionBombsAreOneLineAndExitCode2() throws IOException {
        InspectCommandTest.Result r = sieve("run", "--model", model.toString(), "--image", image.toString(), "--prompt", "x",
                "--max-new-tokens", "2000000000");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).contains("--max-new-tokens 2000000000").contains("context of 512");
        Path bomb = Files.write(dir.resolve("bomb.png"), dev.sieve.llava.api.TestImages.pngDeclaring(24000, 24000));
        InspectCommandTest.Result b = sieve("run", "--model", model.toString(), "--image", bomb.toString(), "--prompt", "x");
        assertThat(b.code()).isEqualTo(2);
        assertThat(b.err().lines()).hasSize(1);
        assertThat(b.err()).contains("bomb.png").contains("24000 x 24000 pixels; the limit is");
    }
}
