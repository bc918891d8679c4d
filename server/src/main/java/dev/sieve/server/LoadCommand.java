package dev.sieve.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.cli.OptionChecks;
import dev.sieve.cli.UserInputException;
import dev.sieve.eval.EvalQuestion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sieve load}: a closed-loop load generator for a running {@code sieve serve}. N clients each send streaming
 * requests back to back (questions of a JSONL, cycled) until the count is reached; it reports requests/s, generated
 * tokens/s, and time to first token (first content chunk) and latency percentiles, as seen by the clients.
 */
@Command(name = "load", mixinStandardHelpOptions = true, description = "Measure a running sieve serve: throughput and time to first token at some concurrencies.")
final class LoadCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", paramLabel = "URL", description = "the server (default: ${DEFAULT-VALUE})")
    String url = "http://127.0.0.1:8080";

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl", description = "questions: {\"image\", \"question\"} per line, images relative to the file")
    Path data;

    @Option(names = "--concurrency", split = ",", paramLabel = "N[,N...]", description = "clients at once, one run each (default: 1,4,16)")
    List<Integer> concurrency = List.of(1, 4, 16);

    @Option(names = "--requests", paramLabel = "N", description = "requests per run (default: ${DEFAULT-VALUE})")
    int requests = 64;

    @Option(names = "--max-tokens", paramLabel = "N", description = "max_tokens of each request (default: ${DEFAULT-VALUE})")
    int maxTokens = 8;

    @Option(names = "--prune", paramLabel = "SPEC", description = "the requests' \"sieve\": {\"prune\"} (default: the server's)")
    String prune;

    @Spec
    CommandSpec spec;

    private record Sample(double ttftMs, double latencyMs, int tokens) {}

    @Override
    public Integer call() throws Exception {
        OptionChecks.atLeast("--requests", requests, 1);
        OptionChecks.atLeast("--max-tokens", maxTokens, 1);
        for (int c : concurrency) {
            OptionChecks.atLeast("--concurrency", c, 1);
        }
        List<EvalQuestion> questions;
        try {
            questions = EvalQuestion.read(data, 0);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new UserInputException(e.getMessage());
        }
        List<String> bodies = new ArrayList<>();
        for (EvalQuestion q : questions) {
            bodies.add(body(q));
        }
        PrintWriter out = spec.commandLine().getOut();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        out.printf("%s, %d requests per run, max_tokens %d, prune %s%n", url, requests, maxTokens, prune == null ? "(server default)" : prune);
        out.println("| clients | requests/s | generated tokens/s | TTFT p50 ms | TTFT p90 ms | latency p50 ms | latency p90 ms |");
        out.println("|---:|---:|---:|---:|---:|---:|---:|");
        for (int c : concurrency) {
            run(client, bodies, Math.min(c, requests));  // warm-up pass, not recorded
            long t0 = System.nanoTime();
            List<Sample> samples = run(client, bodies, c);
            double seconds = (System.nanoTime() - t0) / 1e9;
            int tokens = samples.stream().mapToInt(Sample::tokens).sum();
            double[] ttft = samples.stream().mapToDouble(Sample::ttftMs).sorted().toArray();
            double[] latency = samples.stream().mapToDouble(Sample::latencyMs).sorted().toArray();
            out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |%n", c, samples.size() / seconds, tokens / seconds,
                    pct(ttft, 50), pct(ttft, 90), pct(latency, 50), pct(latency, 90));
            out.flush();
        }
        return 0;
    }

    private String body(EvalQuestion q) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("model", "sieve").put("max_tokens", maxTokens).put("stream", true);
        root.putObject("stream_options").put("include_usage", true);
        var content = root.putArray("messages").addObject().put("role", "user").putArray("content");
        String type = q.image().toString().toLowerCase(Locale.ROOT).endsWith(".png") ? "png" : "jpeg";
        content.addObject().put("type", "image_url").putObject("image_url")
                .put("url", "data:image/" + type + ";base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(q.image())));
        content.addObject().put("type", "text").put("text", q.question());
        if (prune != null) {
            root.putObject("sieve").put("prune", prune);
        }
        return root.toString();
    }

    private List<Sample> run(HttpClient client, List<String> bodies, int clients) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<List<Sample>>> futures = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                futures.add(pool.submit(() -> {
                    List<Sample> mine = new ArrayList<>();
                    for (int n; (n = next.getAndIncrement()) < requests; ) {
                        mine.add(one(client, bodies.get(n % bodies.size())));
                    }
                    return mine;
                }));
            }
            List<Sample> all = new ArrayList<>();
            for (Future<List<Sample>> f : futures) {
                all.addAll(f.get());
            }
            return all;
        } finally {
            pool.shutdown();
        }
    }

    private Sample one(HttpClient client, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long t0 = System.nanoTime();
        HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new UserInputException("the server answered " + r.statusCode() + ": " + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        double ttft = -1;
        int tokens = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode chunk = JSON.readTree(line.substring(6));
                JsonNode delta = chunk.path("choices").path(0).path("delta");
                if (ttft < 0 && delta.path("content").asText("").length() > 0) {
                    ttft = (System.nanoTime() - t0) / 1e6;
                }
                if (chunk.has("usage")) {
                    tokens = chunk.path("usage").path("completion_tokens").asInt();
                }
            }
        }
        double latency = (System.nanoTime() - t0) / 1e6;
        return new Sample(ttft < 0 ? latency : ttft, latency, tokens);
    }

    private static double pct(double[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
