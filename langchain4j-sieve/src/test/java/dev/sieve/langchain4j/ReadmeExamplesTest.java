package dev.sieve.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.SieveRequest;
import dev.sieve.server.SieveServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's code, run: each region between {@code // README <name>} and {@code // END} below is, line for line
 * (indentation aside), a code block of README.md, so the README cannot drift from what works.
 */
class ReadmeExamplesTest {
    static final Path REPO = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize();
    /** Helidon's INFO lines on every start; held so the setting is not collected. */
    private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

    static {
        HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    static final Path SOURCE = REPO.resolve("langchain4j-sieve/src/test/java/dev/sieve/langchain4j/ReadmeExamplesTest.java");

    @Test
    void useItFromJava() throws Exception {
        Path model = REPO.resolve("models/shapes-llava");
        String out = captured(() -> {
            // README use-from-java
            try (Sieve sieve = Sieve.open(model, SieveOptions.defaults().withThreads(2))) {
                SieveImage image = SieveImage.of(model.resolve("samples/000005.png"));   // or bytes, or a BufferedImage
                SieveAnswer a = sieve.ask(SieveRequest.of(image, "What color is the cross?").withPrune("vispruner:keep=16").withMaxTokens(8));
                System.out.println(a.text() + " (" + a.usage().visualTokensKept() + " of " + a.usage().visualTokensTotal() + " visual tokens, "
                        + Math.round(100 * a.flops().llmRatio()) + "% of the unpruned prefill FLOPs)");
                // Streaming: the pieces add up to the answer's text
                sieve.ask(SieveRequest.of(image, "What shape is the white object?"), piece -> System.out.print(piece));
                System.out.println();
                // A batch: decoded together, each request with its own pruning
                List<SieveAnswer> answers = sieve.askAll(List.of(SieveRequest.of(image, "What color is the cross?"),
                        SieveRequest.of(image, "What color is the cross?").withPrune("fastv:k=2,keep=16")));
                answers.forEach(x -> System.out.println(x.prune() + ": " + x.text()));
            }
            // END
        });
        assertThat(out).contains("white (16 of 144 visual tokens, ").contains("none: white").contains("fastv:k=2,keep=16: white");
        assertInReadme("use-from-java");
    }

    @Test
    void runItAsAServer() throws Exception {
        String readme = Files.readString(REPO.resolve("README.md"));
        // The README's curl body, with its image placeholder filled in, sent to a running server.
        Matcher m = Pattern.compile("^curl -s http://127.0.0.1:8080/v1/chat/completions -d '(.*)'$", Pattern.MULTILINE).matcher(readme);
        assertThat(m.find()).as("the README's curl example").isTrue();
        String png = Base64.getEncoder().encodeToString(Files.readAllBytes(REPO.resolve("models/shapes-llava/samples/000005.png")));
        String body = m.group(1).replace("'\"$(base64 -w0 models/shapes-llava/samples/000005.png)\"'", png);
        try (SieveServer server = SieveServer.start(new SieveServer.Config(REPO.resolve("models/shapes-llava"), "127.0.0.1", 0,
                SieveOptions.defaults().withThreads(2), 8, false))) {
            server.loaded().join();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode json = new ObjectMapper().readTree(r.body());
            assertThat(json.path("choices").path(0).path("message").path("content").asText()).isEqualTo("white");
            assertThat(json.path("sieve").path("visual_tokens_kept").asInt()).isEqualTo(16);
            assertThat(readme).contains("\"visual_tokens_kept\":16,\"visual_tokens_total\":144");

            String baseUrl = "http://127.0.0.1:" + server.port() + "/v1";
            String base64Png = png;
            // README openai-client
            ChatModel openAi = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("shapes-llava").build();
            String answer = openAi.chat(UserMessage.from(ImageContent.from(base64Png, "image/png"), TextContent.from("What color is the cross?")))
                    .aiMessage().text();
            // END
            assertThat(answer).isEqualTo("white");
        }
        assertInReadme("openai-client");
    }

    @Test
    void useItWithLangChain4j() throws Exception {
        Path model = REPO.resolve("models/shapes-llava");
        String base64Png = Base64.getEncoder().encodeToString(Files.readAllBytes(model.resolve("samples/000005.png")));
        String text;
        // README langchain4j
        try (Sieve sieve = Sieve.open(model)) {
            ChatModel chat = SieveChatModel.builder().sieve(sieve).maxTokens(8).build();
            UserMessage question = UserMessage.from(ImageContent.from(base64Png, "image/png", ImageContent.DetailLevel.LOW),  // LOW: 1/8 of the visual tokens
                    TextContent.from("What color is the cross?"));
            var response = chat.chat(question);
            SieveAnswer details = ((SieveChatResponseMetadata) response.metadata()).answer();   // pruning, tokens kept, timings
            text = response.aiMessage().text() + " with " + details.usage().visualTokensKept() + " visual tokens";
        }
        // END
        assertThat(text).isEqualTo("white with 18 visual tokens");
        assertInReadme("langchain4j");
    }

    private interface Region {
        void run() throws Exception;
    }

    private static String captured(Region r) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /** The region's lines, stripped of indentation, appear consecutively in README.md. */
    private static void assertInReadme(String name) throws Exception {
        String source = Files.readString(SOURCE);
        int from = source.indexOf("// README " + name + "\n");
        int to = source.indexOf("// END", from);
        assertThat(from).as("region " + name).isPositive();
        String region = strip(source.substring(source.indexOf('\n', from) + 1, to));
        String readme = strip(Files.readString(REPO.resolve("README.md")));
        assertThat(readme).as("README.md holds the region '" + name + "' of ReadmeExamplesTest").contains(region);
    }

    private static String strip(String text) {
        StringBuilder out = new StringBuilder();
        text.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> out.append(l).append('\n'));
        return out.toString();
    }
}
