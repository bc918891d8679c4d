package dev.sieve.llava.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.llava.Llava;
import dev.sieve.llava.Sampler;
import dev.sieve.llava.image.ClipImageProcessor;
import dev.sieve.llava.tokenizer.Tokenizer;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade on the bundled shapes model: answers, streaming, batches, stop strings and every refusal. */
class SieveTest {
    static final Path MODEL = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize().resolve("models/shapes-llava");
    static final Path SAMPLES = MODEL.resolve("samples");
    static Sieve sieve;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() {
        sieve = Sieve.open(MODEL, SieveOptions.defaults().withThreads(2).withMaxBatch(4));
    }

    @AfterAll
    static void close() {
        sieve.close();
    }

    static SieveRequest question(String image, String text) {
        return SieveRequest.of(SieveImage.of(SAMPLES.resolve(image)), text).withMaxTokens(8);
    }

    @Test
    void answersAsTheModelDoesWhenDrivenByHand() {
        SieveAnswer a = sieve.ask(question("000001.png", "How many circles are there?"));
        // The same question through the model's own API: template, tokenizer, preprocessing, greedy, stop at </s>.
        Tokenizer tokenizer = ModelDirectory.tokenizer(MODEL);
        int[] ids = tokenizer.encode("USER: <image>\nHow many circles are there? ASSISTANT:", true);
        float[] pixels = ClipImageProcessor.fromConfigFile(MODEL.resolve("preprocessor_config.json")).process(SAMPLES.resolve("000001.png")).chw();
        try (Llava llava = Llava.load(MODEL); ExecutionContext ctx = ExecutionContext.create(2)) {
            Llava.Generation g = llava.generate(pixels, ids, 8, Sampler.greedy(), new int[] {tokenizer.eosId()}, (s, t) -> { }, new Ops(ctx));
            assertThat(a.tokenIds()).containsExactly(g.newTokens());
            assertThat(a.text()).isEqualTo(tokenizer.decode(Arrays.stream(g.newTokens()).filter(t -> t != tokenizer.eosId()).toArray()).strip());
            assertThat(a.usage().promptTokens()).isEqualTo(g.promptLength());
        }
        assertThat(a.text()).isNotBlank();
        assertThat(a.finishReason()).isEqualTo("stop");
        assertThat(a.usage().visualTokensTotal()).isEqualTo(144);
        assertThat(a.usage().visualTokensKept()).isEqualTo(144);
        assertThat(a.flops().llmRatio()).isEqualTo(1.0);
        assertThat(a.timings().timeToFirstTokenMs()).isPositive().isLessThanOrEqualTo(a.timings().totalMs());
    }

    /** withMmap(false) copies the weights into memory at load; the answers are the mapped model's, token for token. */
    @Test
    void weightsCopiedIntoMemoryAnswerAsTheMappedModel() {
        assertThat(SieveOptions.defaults().mmap()).isTrue();
        try (Sieve copied = Sieve.open(MODEL, SieveOptions.defaults().withThreads(2).withMmap(false))) {
            for (String prune : new String[] {"none", "vispruner:keep=16"}) {
                SieveRequest q = question("000001.png", "How many circles are there?").withPrune(prune);
                SieveAnswer mapped = sieve.ask(q);
                SieveAnswer fromCopy = copied.ask(q);
                assertThat(fromCopy.tokenIds()).as(prune).containsExactly(mapped.tokenIds());
                assertThat(fromCopy.text()).isEqualTo(mapped.text());
            }
        }
    }

    @Test
    void prunesPerRequest() {
        SieveAnswer a = sieve.ask(question("000001.png", "How many circles are there?").withPrune("vispruner:keep=16"));
        assertThat(a.usage().visualTokensKept()).isEqualTo(16);
        assertThat(a.prune()).isEqualTo("vispruner:keep=16");
        assertThat(a.flops().llmRatio()).isLessThan(0.5);
        assertThat(a.keptPatches()).hasSize(1);
        assertThat(a.keptPatches().get(0).kept()).hasSize(16);
        SieveAnswer f = sieve.ask(question("000001.png", "How many circles are there?").withPrune("fastv:k=2,keep=16"));
        assertThat(f.usage().visualTokensKept()).isEqualTo(16);
    }

    @Test
    void imagesFromBytesAndBufferedImagesEqualTheFile() throws IOException {
        Path png = SAMPLES.resolve("000005.png");
        SieveAnswer file = sieve.ask(question("000005.png", "What color is the cross?"));
        SieveAnswer bytes = sieve.ask(question("000005.png", "What color is the cross?").withImage(SieveImage.of(Files.readAllBytes(png))));
        SieveAnswer image = sieve.ask(question("000005.png", "What color is the cross?").withImage(SieveImage.of(javax.imageio.ImageIO.read(png.toFile()))));
        assertThat(bytes.tokenIds()).containsExactly(file.tokenIds());
        assertThat(image.tokenIds()).containsExactly(file.tokenIds());
    }

    @Test
    void streamedPiecesAddUpToTheAnswer() {
        StringBuilder streamed = new StringBuilder();
        SieveAnswer a = sieve.ask(question("000013.png", "What shape is the red object?").withMaxTokens(20), streamed::append);
        assertThat(streamed.toString()).isEqualTo(a.text());
    }

    @Test
    void aBatchEqualsItsRequestsOneByOne() {
        List<SieveRequest> requests = new ArrayList<>();
        String[] images = {"000000.png", "000001.png", "000005.png", "000006.png", "000011.png", "000013.png"};
        String[] prunes = {"none", "vispruner:keep=16", "fastv:k=2,keep=16", "pdrop:layers=1/2/3,ratios=0.5/0.25/0.125", "none", "divprune:keep=32"};
        for (int i = 0; i < images.length; i++) {
            requests.add(question(images[i], "How many objects are there?").withPrune(prunes[i]));
        }
        List<SieveAnswer> batch = sieve.askAll(requests);
        for (int i = 0; i < images.length; i++) {
            SieveAnswer alone = sieve.ask(requests.get(i));
            assertThat(batch.get(i).tokenIds()).as(images[i] + " " + prunes[i]).containsExactly(alone.tokenIds());
            assertThat(batch.get(i).usage()).isEqualTo(alone.usage());
        }
    }

    @Test
    void samplingRepeatsWithItsSeed() {
        SieveRequest r = question("000001.png", "How many circles are there?").withSampling(1.5f, 0.9f, 7).withMaxTokens(12);
        assertThat(sieve.ask(r).tokenIds()).containsExactly(sieve.ask(r).tokenIds());
    }

    @Test
    void aStopStringEndsTheAnswerAndIsDropped() {
        SieveAnswer full = sieve.ask(question("000001.png", "How many circles are there?"));
        String text = full.text();
        assertThat(text.length()).isGreaterThan(1);
        String stop = text.substring(1, 2);
        StringBuilder streamed = new StringBuilder();
        SieveAnswer cut = sieve.ask(question("000001.png", "How many circles are there?").withStop(List.of(stop)), streamed::append);
        assertThat(cut.text()).isEqualTo(text.substring(0, text.indexOf(stop)).strip());
        assertThat(streamed.toString()).isEqualTo(cut.text());
        assertThat(cut.finishReason()).isEqualTo("stop");
    }

    @Test
    void maxTokensEndsWithLength() {
        SieveAnswer a = sieve.ask(question("000001.png", "How many circles are there?").withMaxTokens(1));
        assertThat(a.tokenIds()).hasSize(1);
        assertThat(a.finishReason()).isIn("length", "stop");
    }

    @Test
    void badRequestsAreOneLineExceptionsNamingTheField() throws IOException {
        expect(question("000001.png", "x").withPrune("fastv:k=9,keep=8"), "prune", "fastv");
        expect(question("000001.png", "x").withPrune("nonsense"), "prune", "unknown method");
        expect(question("000001.png", "x").withPrune("vispruner:keep=500"), "prune", "500");
        expect(question("000001.png", "x").withMaxTokens(2_000_000_000), "max_tokens", "context");
        expect(question("000001.png", "x").withMaxTokens(-1), "max_tokens", "between");
        expect(question("000001.png", "x").withMaxTokens(200), "max_tokens", "max_position_embeddings");
        expect(question("000001.png", "x").withSampling(-1, 1, 0), "temperature", ">= 0");
        expect(question("000001.png", "x").withSampling(Float.NaN, 1, 0), "temperature", ">= 0");
        expect(question("000001.png", "x").withSampling(1, 0, 0), "top_p", "(0, 1]");
        expect(question("000001.png", "x").withStop(List.of("a", "b", "c", "d", "e")), "stop", "at most 4");
        expect(question("000001.png", "word ".repeat(300)), "prompt", "context");
        expect(question("000001.png", "x").withImage(SieveImage.of(new byte[] {1, 2, 3})), "image", "not a PNG or JPEG");
        expect(question("000001.png", "x").withImage(SieveImage.of(dir.resolve("missing.png"))), "image", "no such file");
        Path bomb = Files.write(dir.resolve("bomb.png"), TestImages.pngDeclaring(24000, 24000));
        SieveException e = expect(question("000001.png", "x").withImage(SieveImage.of(bomb)), "image", "24000 x 24000 pixels");
        assertThat(e.kind()).isEqualTo(SieveException.Kind.TOO_LARGE);
        assertThat(Files.size(bomb)).isLessThan(1000);
        // The server is still fine.
        assertThat(sieve.ask(question("000001.png", "How many circles are there?")).text()).isNotBlank();
    }

    @Test
    void imageByteLimitsHold() throws IOException {
        try (Sieve small = Sieve.open(MODEL, SieveOptions.defaults().withThreads(1).withImageLimits(1000, 1_000_000))) {
            SieveException e = expectFrom(small, question("000005.png", "x"), "image", "bytes; the limit is 1000");
            assertThat(e.kind()).isEqualTo(SieveException.Kind.TOO_LARGE);
            expectFrom(small, question("000001.png", "x").withImage(SieveImage.of(new java.awt.image.BufferedImage(2000, 1000,
                    java.awt.image.BufferedImage.TYPE_INT_RGB))), "image", "2000 x 1000 pixels");
        }
    }

    @Test
    void aModelDirectoryWithoutTokenizerIsNamed() throws IOException {
        Path m = Files.createDirectory(dir.resolve("m"));
        Files.copy(MODEL.resolve("config.json"), m.resolve("config.json"));
        Files.copy(MODEL.resolve("preprocessor_config.json"), m.resolve("preprocessor_config.json"));
        assertThatThrownBy(() -> Sieve.open(m)).isInstanceOf(SieveException.class).hasMessageContaining("no tokenizer.model")
                .satisfies(t -> assertThat(((SieveException) t).kind()).isEqualTo(SieveException.Kind.INVALID_MODEL));
        assertThatThrownBy(() -> Sieve.open(dir.resolve("none"))).hasMessageContaining("no such model directory");
    }

    @Test
    void aBadKernelSettingIsNamedBeforeTheModelIsRead() {
        String before = System.getProperty("sieve.vector.bits");
        System.setProperty("sieve.vector.bits", "384");
        try {
            assertThatThrownBy(() -> Sieve.open(MODEL)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("-Dsieve.vector.bits must be 256 or 512, got '384'");
        } finally {
            if (before == null) {
                System.clearProperty("sieve.vector.bits");
            } else {
                System.setProperty("sieve.vector.bits", before);
            }
        }
    }

    @Test
    void aCancelledCallFreesItsPlace() {
        SieveCall call = sieve.submit(question("000001.png", "How many circles are there?").withMaxTokens(90), p -> { });
        call.cancel();
        assertThatThrownBy(() -> call.answer().join()).hasCauseInstanceOf(SieveException.class);
        assertThat(sieve.ask(question("000001.png", "How many circles are there?")).text()).isNotBlank();
    }

    private static SieveException expect(SieveRequest r, String param, String text) {
        return expectFrom(sieve, r, param, text);
    }

    private static SieveException expectFrom(Sieve s, SieveRequest r, String param, String text) {
        try {
            s.ask(r);
        } catch (SieveException e) {
            assertThat(e.param()).as(e.getMessage()).isEqualTo(param);
            assertThat(e.getMessage()).contains(text).doesNotContain("\n");
            return e;
        }
        throw new AssertionError("accepted: " + r);
    }
}
