package dev.sieve.server;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus series ({@code sieve_...}), written in the text exposition format 0.0.4: requests by
 * status, tokens, visual tokens kept and dropped, time to first token and latency histograms, queue length.
 */
final class Metrics {
    /** Seconds; the tiny bundled model answers in milliseconds, a 7B model on a CPU in tens of seconds. */
    private static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

    private final Map<Integer, AtomicLong> requests = new ConcurrentHashMap<>();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong generatedTokens = new AtomicLong();
    private final AtomicLong visualKept = new AtomicLong();
    private final AtomicLong visualDropped = new AtomicLong();
    private final Histogram ttft = new Histogram();
    private final Histogram latency = new Histogram();
    private final IntSupplier waiting;
    private final IntSupplier running;

    Metrics(IntSupplier waiting, IntSupplier running) {
        this.waiting = waiting;
        this.running = running;
    }

    void request(int status) {
        requests.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
    }

    /** A streaming client went away and its request was cancelled. */
    void cancelled() {
        cancelled.incrementAndGet();
    }

    void answered(int prompt, int generated, int kept, int total, double ttftSeconds, double latencySeconds) {
        promptTokens.addAndGet(prompt);
        generatedTokens.addAndGet(generated);
        visualKept.addAndGet(kept);
        visualDropped.addAndGet(total - kept);
        ttft.observe(ttftSeconds);
        latency.observe(latencySeconds);
    }

    String text() {
        StringBuilder out = new StringBuilder();
        out.append("# HELP sieve_requests_total Chat completion requests by HTTP status.\n# TYPE sieve_requests_total counter\n");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.append("sieve_requests_total{status=\"").append(e.getKey()).append("\"} ").append(e.getValue().get()).append('\n'));
        counter(out, "sieve_requests_cancelled_total", "Streams whose client disconnected (their place was freed).", cancelled.get());
        counter(out, "sieve_prompt_tokens_total", "Prompt positions prefilled (text plus visual tokens kept).", promptTokens.get());
        counter(out, "sieve_generated_tokens_total", "Tokens generated.", generatedTokens.get());
        counter(out, "sieve_visual_tokens_kept_total", "Visual tokens that reached the last LLM layer.", visualKept.get());
        counter(out, "sieve_visual_tokens_dropped_total", "Visual tokens pruned away.", visualDropped.get());
        ttft.write(out, "sieve_time_to_first_token_seconds", "From arrival to the first generated token.");
        latency.write(out, "sieve_request_duration_seconds", "From arrival to the last generated token.");
        gauge(out, "sieve_queue_length", "Requests waiting for a place in the batch.", waiting.getAsInt());
        gauge(out, "sieve_running_requests", "Requests decoding now.", running.getAsInt());
        return out.toString();
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(value).append('\n');
    }

    private static final class Histogram {
        private final AtomicLong[] counts = new AtomicLong[BUCKETS.length];
        private final AtomicLong count = new AtomicLong();
        private final DoubleAdder sum = new DoubleAdder();

        Histogram() {
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new AtomicLong();
            }
        }

        void observe(double seconds) {
            for (int i = 0; i < BUCKETS.length; i++) {
                if (seconds <= BUCKETS[i]) {
                    counts[i].incrementAndGet();
                }
            }
            count.incrementAndGet();
            sum.add(seconds);
        }

        void write(StringBuilder out, String name, String help) {
            out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" histogram\n");
            for (int i = 0; i < BUCKETS.length; i++) {
                out.append(name).append("_bucket{le=\"").append(BUCKETS[i]).append("\"} ").append(counts[i].get()).append('\n');
            }
            out.append(name).append("_bucket{le=\"+Inf\"} ").append(count.get()).append('\n');
            out.append(name).append("_sum ").append(String.format(Locale.ROOT, "%.6f", sum.sum())).append('\n');
            out.append(name).append("_count ").append(count.get()).append('\n');
        }
    }
}
