package dev.sieve.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveCall;
import dev.sieve.llava.api.SieveException;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;
import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code POST /v1/chat/completions}. Each request runs on its own (virtual) thread: the body is read within the
 * size limit, parsed and checked, submitted to the facade's batch, and answered when the prompt is prefilled —
 * so model-side refusals (a prompt beyond the context) are still a 4xx, never a broken stream. A streaming
 * client gets its text pieces as SSE chunks; one that disconnects is noticed at the next write and its request
 * cancelled, which frees its place in the batch.
 */
final class ChatHandler {
    /** Marks the end of a stream's pieces (compared by identity). */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String END = new String("end of stream");

    private final SieveServer server;
    private final AtomicInteger inFlight = new AtomicInteger();

    ChatHandler(SieveServer server) {
        this.server = server;
    }

    /**
     * A request's place among the running and waiting ones: given back once, as soon as its answer is complete
     * (before the last bytes go out), so a client that sends its next request on the last byte never meets a
     * place still held by its previous one.
     */
    private final class Place {
        private final java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean(true);

        void release() {
            if (held.compareAndSet(true, false)) {
                inFlight.decrementAndGet();
            }
        }
    }

    void handle(ServerRequest req, ServerResponse res) {
        Place place = null;
        try {
            Sieve sieve = loadedModel();
            int capacity = sieve.info().maxBatch() + server.config.maxQueue();
            place = new Place();
            if (inFlight.incrementAndGet() > capacity) {
                throw new ApiError(429, "rate_limit_exceeded", null, "queue_full", "the server is busy: " + capacity
                        + " requests are running or waiting (--max-batch + --max-queue); retry later");
            }
            ChatRequest chat = ChatRequest.parse(body(req), sieve.info().defaultPrune(), server.config.allowLocalImages());
            SieveCall call;
            LinkedBlockingQueue<String> pieces = new LinkedBlockingQueue<>();
            try {
                call = sieve.submit(chat.request(), pieces::add);
                await(call, true);
            } catch (SieveException e) {
                throw ApiError.of(e);
            }
            String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
            long created = System.currentTimeMillis() / 1000;
            if (chat.stream()) {
                stream(res, call, pieces, chat, id, created, place);
            } else {
                SieveAnswer a;
                try {
                    a = await(call, false);
                } catch (SieveException e) {
                    throw ApiError.of(e);
                }
                // Metrics and the place first: a client reading /metrics right after its answer sees it counted.
                place.release();
                observe(a);
                server.metrics.request(200);
                SieveServer.send(res, 200, completion(a, id, created).toString());
            }
        } catch (ApiError e) {
            release(place);
            server.metrics.request(e.status);
            if (!res.isSent()) {
                SieveServer.send(res, e.status, e.body(server.json));
            }
        } catch (RuntimeException e) {
            // A bug, not bad input: the message still goes out as one line in the error body, and the server goes on.
            release(place);
            server.metrics.request(500);
            if (!res.isSent()) {
                SieveServer.send(res, 500, new ApiError(500, "server_error", null, "internal_error", "internal error: " + oneLine(e)).body(server.json));
            }
        } finally {
            release(place);
        }
    }

    private static void release(Place place) {
        if (place != null) {
            place.release();
        }
    }

    private Sieve loadedModel() {
        if (!server.model.isDone()) {
            throw new ApiError(503, "server_error", null, "loading", "the model is still loading; retry when GET /health answers 200");
        }
        if (server.model.isCompletedExceptionally()) {
            throw new ApiError(503, "server_error", null, "unavailable", "the model failed to load");
        }
        return server.model.join();
    }

    private JsonNode body(ServerRequest req) {
        int limit = SieveServer.bodyLimit(server.config);
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readNBytes(limit + 1);
        } catch (IOException | RuntimeException e) {
            throw ApiError.invalid(null, "cannot read the request body: " + oneLine(e));
        }
        if (bytes.length > limit) {
            throw new ApiError(413, "invalid_request_error", null, "too_large", "the request body is over " + limit + " bytes");
        }
        if (bytes.length == 0) {
            throw ApiError.invalid(null, "the request body is empty; send a JSON chat completion request");
        }
        try {
            return server.json.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + oneLine(e));
        }
    }

    private void stream(ServerResponse res, SieveCall call, LinkedBlockingQueue<String> pieces, ChatRequest chat, String id, long created,
                        Place place) {
        try (SseSink sse = res.sink(SseSink.TYPE)) {
            ObjectNode first = chunk(id, created);
            first.withArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta").put("role", "assistant")
                    .put("content", "");
            emit(sse, first.toString());
            // The answer's completion puts END after the last piece (pieces come before completion, on the same thread).
            call.answer().whenComplete((a, e) -> pieces.add(END));
            for (String piece; (piece = pieces.take()) != END; ) {
                ObjectNode c = chunk(id, created);
                c.withArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta").put("content", piece);
                emit(sse, c.toString());
            }
            SieveAnswer a;
            try {
                a = await(call, false);
            } catch (SieveException e) {
                // Headers are gone: the error goes out as a chunk OpenAI clients recognise, then the stream ends.
                place.release();
                server.metrics.request(ApiError.of(e).status);
                emit(sse, server.json.createObjectNode().set("error", server.json.readTree(ApiError.of(e).body(server.json)).get("error")).toString());
                emit(sse, "[DONE]");
                return;
            }
            place.release();
            observe(a);
            server.metrics.request(200);
            ObjectNode last = chunk(id, created);
            last.withArray("choices").addObject().put("index", 0).put("finish_reason", a.finishReason()).putObject("delta");
            last.set("sieve", sieveExtension(a));
            emit(sse, last.toString());
            if (chat.includeUsage()) {
                ObjectNode u = chunk(id, created);
                u.putArray("choices");
                u.set("usage", usage(a));
                emit(sse, u.toString());
            }
            emit(sse, "[DONE]");
        } catch (InterruptedException e) {
            call.cancel();
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            // The client went away (a write failed): give its place in the batch back, and count it once it is free.
            call.cancel();
            try {
                call.answer().join();
            } catch (RuntimeException cancelled) {
                // expected: the answer ends with the cancellation
            }
            place.release();
            server.metrics.cancelled();
        }
    }

    /** One SSE event as OpenAI writes it, {@code data: {...}}: Helidon writes "data:" and the value, so the value starts with the space. */
    private static void emit(SseSink sse, String data) {
        sse.emit(SseEvent.create(" " + data));
    }

    private ObjectNode chunk(String id, long created) {
        return server.json.createObjectNode().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", server.modelName);
    }

    private ObjectNode completion(SieveAnswer a, String id, long created) {
        ObjectNode root = server.json.createObjectNode().put("id", id).put("object", "chat.completion").put("created", created)
                .put("model", server.modelName);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", a.text());
        choice.put("finish_reason", a.finishReason());
        root.set("usage", usage(a));
        root.set("sieve", sieveExtension(a));
        return root;
    }

    private ObjectNode usage(SieveAnswer a) {
        return server.json.createObjectNode().put("prompt_tokens", a.usage().promptTokens()).put("completion_tokens", a.usage().completionTokens())
                .put("total_tokens", a.usage().totalTokens());
    }

    private ObjectNode sieveExtension(SieveAnswer a) {
        return server.json.createObjectNode().put("prune", a.prune()).put("visual_tokens_kept", a.usage().visualTokensKept())
                .put("visual_tokens_total", a.usage().visualTokensTotal()).put("prefill_ms", round(a.timings().prefillMs()))
                .put("decode_ms", round(a.timings().decodeMs())).put("image_ms", round(a.timings().imageMs()))
                .put("queue_ms", round(a.timings().queueMs())).put("time_to_first_token_ms", round(a.timings().timeToFirstTokenMs()))
                .put("llm_prefill_flops_ratio", Math.round(a.flops().llmRatio() * 1e4) / 1e4);
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }

    private void observe(SieveAnswer a) {
        server.metrics.answered(a.usage().promptTokens(), a.usage().completionTokens(), a.usage().visualTokensKept(),
                a.usage().visualTokensTotal(), a.timings().timeToFirstTokenMs() / 1e3, a.timings().totalMs() / 1e3);
    }

    /** Waits for the first token ({@code started}) or the answer; the facade's failure comes out as its SieveException. */
    private static SieveAnswer await(SieveCall call, boolean started) {
        try {
            if (started) {
                call.started().join();
                return null;
            }
            return call.answer().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SieveException s) {
                throw s;
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    static String oneLine(Throwable e) {
        return oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").strip();
    }
}
