package dev.sieve.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.llava.api.SieveOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Real HTTP on loopback with the JDK's client: a server on a free port, requests built as OpenAI clients build them. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path REPO = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize();
    static final Path SHAPES = REPO.resolve("models/shapes-llava");
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** Helidon's INFO lines on every start would bury the test output; held so the setting is not collected. */
    private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

    static {
        HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private Http() {}

    record Response(int status, JsonNode json, String text) {}

    static SieveServer start(Path model, SieveOptions options, int maxQueue, boolean allowLocalImages) {
        SieveServer server = SieveServer.start(new SieveServer.Config(model, "127.0.0.1", 0, options, maxQueue, allowLocalImages));
        server.loaded().join();
        return server;
    }

    /** The tiny random-weight example model with a 299-piece tokenizer: it never says </s>, so it decodes as long as asked. */
    static Path tinyModel(Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("tiny"));
        for (String f : new String[] {"config.json", "model.safetensors", "preprocessor_config.json", "generation_config.json"}) {
            Files.copy(REPO.resolve("examples/tiny-llava").resolve(f), model.resolve(f));
        }
        try (InputStream in = Http.class.getResourceAsStream("tiny-vocab299.model")) {
            Files.copy(in, model.resolve("tokenizer.model"));
        }
        return model;
    }

    static String dataUri(Path png) throws IOException {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(png));
    }

    /** {@code {"messages": [{"role": "user", "content": [image, text]}], "max_tokens": N}}. */
    static ObjectNode chat(String imageUrl, String question, int maxTokens) {
        ObjectNode root = JSON.createObjectNode().put("model", "shapes-llava");
        var content = root.putArray("messages").addObject().put("role", "user").putArray("content");
        content.addObject().put("type", "image_url").putObject("image_url").put("url", imageUrl);
        content.addObject().put("type", "text").put("text", question);
        if (maxTokens > 0) {
            root.put("max_tokens", maxTokens);
        }
        return root;
    }

    static HttpRequest post(int port, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    static Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = JSON.readTree(r.body());
            } catch (IOException e) {
                // not JSON (metrics text)
            }
            return new Response(r.statusCode(), json, r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static Response post(int port, JsonNode body) {
        return send(post(port, body.toString()));
    }

    static Response get(int port, String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build());
    }

    /** The SSE events of a streaming request, each line's text after "data: ". */
    static List<String> stream(int port, JsonNode body) {
        try {
            HttpResponse<java.util.stream.Stream<String>> r = CLIENT.send(post(port, body.toString()), HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() != 200) {
                throw new AssertionError("status " + r.statusCode() + ": " + String.join("\n", r.body().toList()));
            }
            if (!r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream")) {
                throw new AssertionError("content type " + r.headers().firstValue("content-type"));
            }
            List<String> events = new ArrayList<>();
            for (String line : r.body().toList()) {
                if (line.isEmpty()) {
                    continue;
                }
                if (!line.startsWith("data: ")) {
                    throw new AssertionError("not an SSE data line: " + line);
                }
                events.add(line.substring("data: ".length()));
            }
            return events;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A Prometheus sample's value from /metrics text (0 when absent). */
    static double metric(int port, String series) {
        for (String line : get(port, "/metrics").text().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return 0;
    }
}
