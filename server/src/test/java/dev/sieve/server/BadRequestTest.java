package dev.sieve.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.TestImages;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad request gets a 4xx with an OpenAI-style error body naming the field, and the server keeps answering. */
class BadRequestTest {
    static SieveServer server;
    static String image;
    static final Path SAMPLE = Http.SHAPES.resolve("samples/000001.png");

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws IOException {
        server = Http.start(Http.SHAPES, SieveOptions.defaults().withThreads(2).withImageLimits(64 << 10, 4_000_000), 8, false);
        image = Http.dataUri(SAMPLE);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static ObjectNode good() {
        return Http.chat(image, "How many circles are there?", 8);
    }

    /** Sends {@code body} and checks the status, the error body's shape, its param and a part of its one-line message. */
    static void refused(String body, int status, String param, String message) {
        Http.Response r = Http.send(Http.post(server.port(), body));
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        JsonNode error = r.json().path("error");
        assertThat(error.isObject()).as(r.text()).isTrue();
        assertThat(error.path("message").asText()).contains(message).doesNotContain("\n").doesNotContain("Exception");
        assertThat(error.path("type").asText()).isNotBlank();
        assertThat(error.has("code")).isTrue();
        assertThat(error.has("param")).isTrue();
        if (param == null) {
            assertThat(error.path("param").isNull()).as(r.text()).isTrue();
        } else {
            assertThat(error.path("param").asText()).isEqualTo(param);
        }
        // ...and the next good request is answered.
        assertThat(Http.post(server.port(), good()).status()).isEqualTo(200);
    }

    static void refused(JsonNode body, int status, String param, String message) {
        refused(body.toString(), status, param, message);
    }

    @Test
    void malformedBodies() {
        refused("{\"messages\": [", 400, null, "not valid JSON");
        refused("", 400, null, "empty");
        refused("[1, 2]", 400, null, "JSON object");
        refused("\"text\"", 400, null, "JSON object");
        refused("{\"messages\": " + "[".repeat(100) + "]".repeat(100) + "}", 400, null, "not valid JSON");
    }

    @Test
    void missingAndWrongFields() {
        refused("{}", 400, "messages", "non-empty array");
        refused("{\"messages\": []}", 400, "messages", "non-empty array");
        refused("{\"messages\": \"hi\"}", 400, "messages", "non-empty array");
        refused("{\"messages\": [42]}", 400, "messages[0]", "must be an object");
        refused("{\"messages\": [{\"content\": \"hi\"}]}", 400, "messages[0].role", "missing");
        refused("{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}", 400, "messages[0].role", "system, user or assistant");
        refused("{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400, "messages[0].content", "string or an array");
        refused("{\"messages\": [{\"role\": \"user\", \"content\": \"no picture\"}]}", 400, "messages", "no image");
        refused("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"audio\"}]}]}", 400, "messages[0].content[0].type", "text or image_url");
        refused("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", 400, "messages[0].content[0].image_url", "url");
        ObjectNode two = good();
        ((com.fasterxml.jackson.databind.node.ArrayNode) two.path("messages").path(0).path("content")).addObject().put("type", "image_url")
                .putObject("image_url").put("url", image);
        refused(two, 400, "messages[0].content[2]", "second image");
        ObjectNode lastAssistant = good();
        ((com.fasterxml.jackson.databind.node.ArrayNode) lastAssistant.path("messages")).addObject().put("role", "assistant").put("content", "x");
        refused(lastAssistant, 400, "messages[1].role", "last message");
    }

    @Test
    void badImages() throws IOException {
        refused(Http.chat("data:image/png;base64,AAAA", "x", 4), 400, "image", "cannot decode");
        refused(Http.chat("data:image/png;base64,@@@not base64@@@", "x", 4), 400, "messages[0].content[0].image_url.url", "base64");
        refused(Http.chat("data:image/gif;base64,AAAA", "x", 4), 400, "messages[0].content[0].image_url.url", "data:image/png;base64");
        refused(Http.chat("https://example.com/cat.png", "x", 4), 400, "messages[0].content[0].image_url.url", "does not fetch URLs");
        refused(Http.chat(SAMPLE.toString(), "x", 4), 400, "messages[0].content[0].image_url.url", "--allow-local-images");
        refused(Http.chat("file://" + SAMPLE, "x", 4), 400, "messages[0].content[0].image_url.url", "--allow-local-images");
        String bomb = "data:image/png;base64," + Base64.getEncoder().encodeToString(TestImages.pngDeclaring(24000, 24000));
        refused(Http.chat(bomb, "x", 4), 413, "image", "24000 x 24000 pixels; the limit is 4000000");
        byte[] big = Files.readAllBytes(Http.SHAPES.resolve("samples/000005.png"));
        byte[] padded = java.util.Arrays.copyOf(big, 70_000);  // trailing bytes after IEND: still a PNG, over 64 KiB
        refused(Http.chat("data:image/png;base64," + Base64.getEncoder().encodeToString(padded), "x", 4), 413, "image", "the limit is 65536");
        String huge = "data:image/png;base64," + "A".repeat(2 << 20);
        refused(Http.chat(huge, "x", 4).toString(), 413, null, "request body is over");
    }

    @Test
    void limitsOfTheModel() {
        refused(good().put("max_tokens", 100000), 400, "max_tokens", "context");
        refused(good().put("max_tokens", 200), 400, "max_tokens", "max_position_embeddings");
        refused(good().put("max_tokens", 0), 400, "max_tokens", ">= 1");
        refused(good().put("max_tokens", "ten"), 400, "max_tokens", "integer");
        refused(good().put("max_completion_tokens", -5), 400, "max_completion_tokens", ">= 1");
        refused(Http.chat(image, "many words ".repeat(200), 4), 400, "prompt", "context");
    }

    @Test
    void badPruneSpecsAndSamplingValues() {
        ObjectNode prune = good();
        prune.putObject("sieve").put("prune", "fastv:k=9,keep=8");
        refused(prune, 400, "prune", "fastv");
        prune.putObject("sieve").put("prune", "magic:keep=3");
        refused(prune, 400, "prune", "unknown method");
        prune.putObject("sieve").put("prune", "vispruner:keep=1000");
        refused(prune, 400, "prune", "1000");
        prune.putObject("sieve").put("prune", 16);
        refused(prune, 400, "sieve.prune", "string");
        refused(good().put("sieve", "fastv"), 400, "sieve", "object");
        ObjectNode misspelt = good();
        misspelt.putObject("sieve").put("prunee", "vispruner:keep=8");
        refused(misspelt, 400, "sieve.prunee", "not a Sieve option");
        refused(good().put("temperature", -0.5), 400, "temperature", "[0.0, 2.0]");
        refused(good().put("temperature", 5), 400, "temperature", "[0.0, 2.0]");
        refused(good().put("temperature", "hot"), 400, "temperature", "number");
        refused(good().put("top_p", 0), 400, "top_p", "number");
        refused(good().put("top_p", 1.5), 400, "top_p", "number");
        refused(good().put("seed", 1.5), 400, "seed", "integer");
        refused(good().put("n", 3), 400, "n", "n must be 1");
        refused(good().put("stream", "yes"), 400, "stream", "true or false");
        ObjectNode stops = good();
        stops.putArray("stop").add("a").add("b").add("c").add("d").add("e");
        refused(stops, 400, "stop", "at most 4");
        refused(good().put("stop", 3), 400, "stop", "string or an array");
    }

    @Test
    void unknownEndpointsAndMethods() {
        Http.Response r = Http.get(server.port(), "/v1/completions");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().path("error").path("message").asText()).contains("no such endpoint");
        Http.Response get = Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions")).GET().build());
        assertThat(get.status()).isEqualTo(404);
        assertThat(get.json().path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void localImagesOnlyBehindTheFlag() throws IOException {
        Path copy = Files.copy(SAMPLE, dir.resolve("scene.png"));
        try (SieveServer local = Http.start(Http.SHAPES, SieveOptions.defaults().withThreads(1), 4, true)) {
            Http.Response r = Http.post(local.port(), Http.chat(copy.toUri().toString(), "How many circles are there?", 8));
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            Http.Response viaData = Http.post(server.port(), good());
            assertThat(r.json().path("choices").path(0).path("message")).isEqualTo(viaData.json().path("choices").path(0).path("message"));
            Http.Response missing = Http.post(local.port(), Http.chat(dir.resolve("missing.png").toString(), "x", 8));
            assertThat(missing.status()).isEqualTo(400);
            assertThat(missing.json().path("error").path("message").asText()).contains("no such file");
        }
    }
}
