package dev.sieve.server;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveOptions;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * {@code sieve serve}: an OpenAI-compatible HTTP server over the {@link Sieve} facade, on Helidon SE. It listens at
 * once and loads the model in the background ({@code /health} answers 503 until it is loaded, as llama.cpp's does);
 * {@code POST /v1/chat/completions} answers with JSON or an SSE stream, {@code GET /v1/models} names the model,
 * {@code GET /metrics} gives Prometheus text. Requests decode together in the facade's continuous batch; at most
 * {@code maxQueue} wait for a place beyond those running, the rest get 429.
 */
public final class SieveServer implements AutoCloseable {
    /**
     * @param model the llava-hf directory
     * @param host the address to listen on
     * @param port the port (0 for any free one)
     * @param options how the facade runs the model (threads, default pruning, batch size, image limits)
     * @param maxQueue requests that may wait for a place in the batch
     * @param allowLocalImages accept {@code file:} URLs and absolute paths as image URLs (off: a client could read the server's files)
     */
    public record Config(Path model, String host, int port, SieveOptions options, int maxQueue, boolean allowLocalImages) {}

    final ObjectMapper json;
    final Config config;
    final CompletableFuture<Sieve> model = new CompletableFuture<>();
    final Metrics metrics;
    private final WebServer web;
    private final long startedEpochSeconds = System.currentTimeMillis() / 1000;
    volatile String modelName;

    private SieveServer(Config config) {
        this.config = config;
        this.json = new ObjectMapper();
        // A base64 image is one long JSON string: allow the body limit, not Jackson's default 20 M characters.
        json.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxStringLength(bodyLimit(config)).maxNestingDepth(64).build());
        this.metrics = new Metrics(() -> model.isDone() && !model.isCompletedExceptionally() ? model.join().waiting() : 0,
                () -> model.isDone() && !model.isCompletedExceptionally() ? model.join().running() : 0);
        ChatHandler chat = new ChatHandler(this);
        // TCP_NODELAY: a stream is many small writes, and Nagle's algorithm against the client's delayed ACK would
        // hold each back ~40 ms (one client on the bundled model: time to first token p50 73 -> 27 ms).
        this.web = WebServer.builder().host(config.host()).port(config.port()).connectionOptions(o -> o.tcpNoDelay(true))
                .routing(r -> routes(r, chat))
                .build();
    }

    /** The largest request body: an image at the byte limit in base64 (4/3) plus 1 MiB of text. */
    static int bodyLimit(Config config) {
        return (int) Math.min(Integer.MAX_VALUE - 16, config.options().maxImageBytes() * 4 / 3 + (1 << 20));
    }

    /** Starts listening, then loads the model on another thread; {@link #loaded()} completes when it is ready. */
    public static SieveServer start(Config config) {
        SieveServer server = new SieveServer(config);
        server.web.start();
        if (!server.web.isRunning()) {
            // Helidon logs the cause (an address in use, mostly) and returns a stopped server rather than throwing.
            throw new IllegalStateException("the web server did not start (is the address in use?)");
        }
        Thread.ofPlatform().name("sieve-model-load").daemon().start(() -> {
            try {
                Sieve sieve = Sieve.open(config.model(), config.options());
                warmUp(sieve);
                server.modelName = sieve.info().name();
                server.model.complete(sieve);
            } catch (RuntimeException | Error e) {
                server.model.completeExceptionally(e);
            }
        });
        return server;
    }

    /**
     * One short request before the server reports healthy, so the first client's time to first token is not
     * the JIT's first compilations (3.5 s instead of 0.3 s on the bundled model).
     */
    private static void warmUp(Sieve sieve) {
        java.awt.image.BufferedImage gray = new java.awt.image.BufferedImage(64, 64, java.awt.image.BufferedImage.TYPE_INT_RGB);
        sieve.ask(dev.sieve.llava.api.SieveRequest.of(dev.sieve.llava.api.SieveImage.of(gray), "What is in the picture?").withMaxTokens(2));
    }

    /** The model, once loaded (or the reason it could not be). */
    public CompletableFuture<Sieve> loaded() {
        return model;
    }

    public int port() {
        return web.port();
    }

    private void routes(HttpRouting.Builder r, ChatHandler chat) {
        r.post("/v1/chat/completions", chat::handle)
                .get("/v1/models", this::models)
                .get("/health", this::health)
                .get("/metrics", this::metricsText)
                .any(this::notFound);
    }

    private void health(ServerRequest req, ServerResponse res) {
        ObjectNode body = json.createObjectNode();
        if (model.isDone() && !model.isCompletedExceptionally()) {
            body.put("status", "ok");
            send(res, 200, body.toString());
        } else {
            body.put("status", model.isCompletedExceptionally() ? "failed" : "loading");
            send(res, 503, body.toString());
        }
    }

    private void models(ServerRequest req, ServerResponse res) {
        ObjectNode body = json.createObjectNode().put("object", "list");
        var data = body.putArray("data");
        if (modelName != null) {
            Sieve.Info info = model.join().info();
            ObjectNode m = data.addObject().put("id", modelName).put("object", "model").put("created", startedEpochSeconds)
                    .put("owned_by", "sieve");
            m.putObject("sieve").put("visual_tokens_per_image", info.visualTokensPerImage()).put("context_length", info.contextLength())
                    .put("default_prune", info.defaultPrune()).put("max_batch", info.maxBatch());
        }
        send(res, 200, body.toString());
    }

    private void metricsText(ServerRequest req, ServerResponse res) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        res.send(metrics.text());
    }

    private void notFound(ServerRequest req, ServerResponse res) {
        String path = req.path().path();
        send(res, 404, new ApiError(404, "invalid_request_error", null, "not_found", req.prologue().method().text() + " " + path
                + ": no such endpoint (POST /v1/chat/completions, GET /v1/models, /health, /metrics)").body(json));
    }

    static void send(ServerResponse res, int status, String jsonBody) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(jsonBody);
    }

    /** Stops listening and closes the model (requests still running fail). */
    @Override
    public void close() {
        web.stop();
        model.thenAccept(Sieve::close);
    }
}
