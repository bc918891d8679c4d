package dev.sieve.eval;

import java.util.Map;
import java.util.TreeMap;

/**
 * What one pruning configuration scored over an evaluation run: answers right, the visual tokens the
 * language model ended with, prefill FLOPs (papers' formula: LLM, plus vision tower and projector) and
 * wall time of the image and prefill phases, summed over questions.
 */
public final class ConfigResult {
    private final String spec;
    private long questions;
    private long correct;
    private double visualTokens;
    private double llmFlops;
    private double totalFlops;
    private long prefillNanos;
    private final Map<String, long[]> byKind = new TreeMap<>();

    public ConfigResult(String spec) {
        this.spec = spec;
    }

    public void add(boolean right, String kind, int tokensKept, double llm, double total, long nanos) {
        questions++;
        correct += right ? 1 : 0;
        visualTokens += tokensKept;
        llmFlops += llm;
        totalFlops += total;
        prefillNanos += nanos;
        if (!kind.isEmpty()) {
            long[] k = byKind.computeIfAbsent(kind, x -> new long[2]);
            k[0] += right ? 1 : 0;
            k[1]++;
        }
    }

    public String spec() {
        return spec;
    }

    /** The method part of the spec ("vispruner+fastv" for a composition), which names a line of the plot. */
    public String method() {
        StringBuilder m = new StringBuilder();
        for (String stage : spec.split("\\+")) {
            m.append(m.isEmpty() ? "" : "+").append(stage.split(":", 2)[0]);
        }
        return m.toString();
    }

    public long questions() {
        return questions;
    }

    public long correct() {
        return correct;
    }

    public double accuracy() {
        return questions == 0 ? 0 : (double) correct / questions;
    }

    public Wilson interval() {
        return Wilson.of95(correct, questions);
    }

    public double meanVisualTokens() {
        return questions == 0 ? 0 : visualTokens / questions;
    }

    public double llmFlops() {
        return llmFlops;
    }

    public double totalFlops() {
        return totalFlops;
    }

    public long prefillNanos() {
        return prefillNanos;
    }

    /** Accuracy per question kind (empty when the data has no kinds). */
    public Map<String, Double> accuracyByKind() {
        Map<String, Double> out = new TreeMap<>();
        byKind.forEach((k, v) -> out.put(k, (double) v[0] / v[1]));
        return out;
    }
}
