package dev.sieve.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.eval.EvalQuestion;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.SieveRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** sieve serve on the bundled model over real HTTP: answers equal the facade's, streams reassemble, concurrency changes nothing. */
class ChatCompletionsTest {
    static SieveServer server;
    static Sieve facade;
    static List<EvalQuestion> questions;
    static final String[] PRUNES = {"none", "vispruner:keep=16", "fastv:k=2,keep=16"};

    @BeforeAll
    static void start() {
        server = Http.start(Http.SHAPES, SieveOptions.defaults().withThreads(2).withMaxBatch(16), 64, false);
        facade = Sieve.open(Http.SHAPES, SieveOptions.defaults().withThreads(2));
        questions = EvalQuestion.read(Http.SHAPES.resolve("samples/questions.jsonl"), 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        facade.close();
    }

    static ObjectNode request(EvalQuestion q, String prune) throws IOException {
        ObjectNode body = Http.chat(Http.dataUri(q.image()), q.question(), 8);
        body.putObject("sieve").put("prune", prune);
        return body;
    }

    @Test
    void answersEqualTheFacadesUnprunedAndPruned() throws IOException {
        for (EvalQuestion q : questions) {
            for (String prune : PRUNES) {
                Http.Response r = Http.post(server.port(), request(q, prune));
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                SieveAnswer a = facade.ask(SieveRequest.of(SieveImage.of(q.image()), q.question()).withPrune(prune).withMaxTokens(8));
                JsonNode choice = r.json().path("choices").path(0);
                assertThat(choice.path("message").path("content").asText()).as(q.question() + " " + prune).isEqualTo(a.text());
                assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
                assertThat(choice.path("finish_reason").asText()).isEqualTo(a.finishReason());
                assertThat(r.json().path("object").asText()).isEqualTo("chat.completion");
                assertThat(r.json().path("usage").path("prompt_tokens").asInt()).isEqualTo(a.usage().promptTokens());
                assertThat(r.json().path("usage").path("completion_tokens").asInt()).isEqualTo(a.usage().completionTokens());
                assertThat(r.json().path("usage").path("total_tokens").asInt()).isEqualTo(a.usage().totalTokens());
                JsonNode sieve = r.json().path("sieve");
                assertThat(sieve.path("prune").asText()).isEqualTo(prune);
                assertThat(sieve.path("visual_tokens_kept").asInt()).isEqualTo(a.usage().visualTokensKept()).isEqualTo(prune.equals("none") ? 144 : 16);
                assertThat(sieve.path("visual_tokens_total").asInt()).isEqualTo(144);
                assertThat(sieve.path("prefill_ms").asDouble()).isPositive();
                assertThat(sieve.has("decode_ms")).isTrue();
            }
        }
    }

    @Test
    void aStreamReassemblesToTheAnswer() throws IOException {
        for (EvalQuestion q : questions) {
            ObjectNode body = request(q, "fastv:k=2,keep=16").put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
            List<String> events = Http.stream(server.port(), body);
            assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
            StringBuilder text = new StringBuilder();
            String finish = null;
            JsonNode usage = null;
            JsonNode sieve = null;
            for (String e : events.subList(0, events.size() - 1)) {
                JsonNode chunk = Http.JSON.readTree(e);
                assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
                for (JsonNode c : chunk.path("choices")) {
                    text.append(c.path("delta").path("content").asText(""));
                    if (!c.path("finish_reason").isNull() && !c.path("finish_reason").isMissingNode()) {
                        finish = c.path("finish_reason").asText();
                    }
                }
                usage = chunk.has("usage") ? chunk.get("usage") : usage;
                sieve = chunk.has("sieve") ? chunk.get("sieve") : sieve;
            }
            Http.Response plain = Http.post(server.port(), request(q, "fastv:k=2,keep=16"));
            assertThat(text.toString()).isEqualTo(plain.json().path("choices").path(0).path("message").path("content").asText());
            assertThat(finish).isEqualTo(plain.json().path("choices").path(0).path("finish_reason").asText());
            assertThat(usage).isEqualTo(plain.json().path("usage"));
            assertThat(sieve.path("visual_tokens_kept").asInt()).isEqualTo(16);
        }
    }

    @Test
    void sixteenConcurrentRequestsEqualTheirSerialAnswers() throws IOException {
        List<ObjectNode> bodies = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            EvalQuestion q = questions.get(i % questions.size());
            bodies.add(request(q, PRUNES[i % PRUNES.length]));
        }
        List<String> serial = new ArrayList<>();
        for (ObjectNode b : bodies) {
            serial.add(answerOf(Http.post(server.port(), b)));
        }
        List<CompletableFuture<java.net.http.HttpResponse<String>>> futures = bodies.stream()
                .map(b -> Http.CLIENT.sendAsync(Http.post(server.port(), b.toString()), java.net.http.HttpResponse.BodyHandlers.ofString()))
                .toList();
        for (int i = 0; i < 16; i++) {
            var r = futures.get(i).join();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(answerOf(new Http.Response(200, Http.JSON.readTree(r.body()), r.body()))).as("request " + i).isEqualTo(serial.get(i));
        }
    }

    private static String answerOf(Http.Response r) {
        return r.json().path("choices").path(0).path("message").path("content").asText() + " | "
                + r.json().path("usage").toString() + " | " + r.json().path("sieve").path("visual_tokens_kept").asInt();
    }

    @Test
    void samplingSeedAndStopAreHonoured() throws IOException {
        EvalQuestion q = questions.get(0);
        ObjectNode body = Http.chat(Http.dataUri(q.image()), q.question(), 12).put("temperature", 1.3).put("top_p", 0.9).put("seed", 11);
        Http.Response r = Http.post(server.port(), body);
        SieveAnswer a = facade.ask(SieveRequest.of(SieveImage.of(q.image()), q.question()).withMaxTokens(12).withSampling(1.3f, 0.9f, 11));
        assertThat(r.json().path("choices").path(0).path("message").path("content").asText()).isEqualTo(a.text());
        assertThat(r.json().path("usage").path("completion_tokens").asInt()).isEqualTo(a.usage().completionTokens());

        Http.Response greedy = Http.post(server.port(), Http.chat(Http.dataUri(q.image()), q.question(), 8));
        String text = greedy.json().path("choices").path(0).path("message").path("content").asText();
        assertThat(text.length()).isGreaterThan(1);
        ObjectNode stopped = Http.chat(Http.dataUri(q.image()), q.question(), 8);
        stopped.putArray("stop").add(text.substring(1));
        Http.Response s = Http.post(server.port(), stopped);
        assertThat(s.json().path("choices").path(0).path("message").path("content").asText()).isEqualTo(text.substring(0, 1));
        assertThat(s.json().path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void healthModelsAndMetrics() throws IOException {
        assertThat(Http.get(server.port(), "/health").status()).isEqualTo(200);
        Http.Response models = Http.get(server.port(), "/v1/models");
        assertThat(models.json().path("data").path(0).path("id").asText()).isEqualTo("shapes-llava");
        assertThat(models.json().path("object").asText()).isEqualTo("list");
        double before = Http.metric(server.port(), "sieve_generated_tokens_total");
        double dropped = Http.metric(server.port(), "sieve_visual_tokens_dropped_total");
        Http.Response r = Http.post(server.port(), request(questions.get(1), "vispruner:keep=16"));
        int generated = r.json().path("usage").path("completion_tokens").asInt();
        assertThat(Http.metric(server.port(), "sieve_generated_tokens_total")).isEqualTo(before + generated);
        assertThat(Http.metric(server.port(), "sieve_visual_tokens_dropped_total")).isEqualTo(dropped + 128);
        String text = Http.get(server.port(), "/metrics").text();
        assertThat(text).contains("sieve_requests_total{status=\"200\"}", "sieve_prompt_tokens_total", "sieve_visual_tokens_kept_total",
                "sieve_time_to_first_token_seconds_bucket{le=\"+Inf\"}", "sieve_request_duration_seconds_count", "sieve_queue_length 0",
                "# TYPE sieve_time_to_first_token_seconds histogram");
    }

    @Test
    void healthIs503WhileTheModelLoads() {
        SieveServer loading = SieveServer.start(new SieveServer.Config(Http.SHAPES, "127.0.0.1", 0, SieveOptions.defaults().withThreads(1), 4, false));
        try {
            Http.Response first = Http.get(loading.port(), "/health");
            assertThat(first.status()).isEqualTo(503);
            assertThat(first.json().path("status").asText()).isEqualTo("loading");
            loading.loaded().join();
            assertThat(Http.get(loading.port(), "/health").status()).isEqualTo(200);
        } finally {
            loading.close();
        }
    }
}
