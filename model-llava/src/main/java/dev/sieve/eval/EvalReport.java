package dev.sieve.eval;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The evaluation table, relative to the unpruned configuration measured in the same run: method, spec,
 * visual tokens kept, accuracy with its 95% Wilson interval, FLOPs and prefill time as ratios.
 */
public final class EvalReport {
    private final List<ConfigResult> results;
    private final ConfigResult baseline;

    /** {@code baseline} is the unpruned configuration (one of {@code results}). */
    public EvalReport(List<ConfigResult> results, ConfigResult baseline) {
        this.results = List.copyOf(results);
        this.baseline = baseline;
    }

    public List<ConfigResult> results() {
        return results;
    }

    public double flopsRatio(ConfigResult r) {
        return r.totalFlops() / baseline.totalFlops();
    }

    public double llmFlopsRatio(ConfigResult r) {
        return r.llmFlops() / baseline.llmFlops();
    }

    public double timeRatio(ConfigResult r) {
        return (double) r.prefillNanos() / baseline.prefillNanos();
    }

    private static final String[] HEADER = {"method", "spec", "visual tokens", "accuracy", "95% CI", "FLOPs vs unpruned",
        "LLM FLOPs vs unpruned", "prefill time vs unpruned", "questions"};

    private String[] row(ConfigResult r) {
        Wilson w = r.interval();
        return new String[] {r.method(), r.spec(), fmt("%.1f", r.meanVisualTokens()), fmt("%.3f", r.accuracy()),
            fmt("%.3f-%.3f", w.low(), w.high()), fmt("%.3f", flopsRatio(r)), fmt("%.3f", llmFlopsRatio(r)),
            fmt("%.3f", timeRatio(r)), String.valueOf(r.questions())};
    }

    /** A plain aligned table for the terminal. */
    public String text() {
        String[][] rows = new String[results.size() + 1][];
        rows[0] = HEADER;
        for (int i = 0; i < results.size(); i++) {
            rows[i + 1] = row(results.get(i));
        }
        int[] width = new int[HEADER.length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                out.append(c == 0 ? "" : "  ").append(c <= 1 ? pad(r[c], width[c]) : padLeft(r[c], width[c]));
            }
            out.append('\n');
        }
        return out.toString();
    }

    public String csv() {
        StringBuilder out = new StringBuilder(String.join(",", "method", "spec", "visual_tokens", "accuracy", "ci95_low", "ci95_high",
                "flops_ratio", "llm_flops_ratio", "prefill_time_ratio", "questions", "correct")).append('\n');
        for (ConfigResult r : results) {
            Wilson w = r.interval();
            out.append(String.join(",", r.method(), '"' + r.spec() + '"', fmt("%.2f", r.meanVisualTokens()), fmt("%.4f", r.accuracy()),
                    fmt("%.4f", w.low()), fmt("%.4f", w.high()), fmt("%.4f", flopsRatio(r)), fmt("%.4f", llmFlopsRatio(r)),
                    fmt("%.4f", timeRatio(r)), String.valueOf(r.questions()), String.valueOf(r.correct()))).append('\n');
        }
        return out.toString();
    }

    /** The table and, when the data has question kinds, accuracy per kind. */
    public String markdown() {
        StringBuilder out = new StringBuilder("| " + String.join(" | ", HEADER) + " |\n|");
        out.append("---|".repeat(HEADER.length)).append('\n');
        for (ConfigResult r : results) {
            out.append("| ").append(String.join(" | ", java.util.Arrays.stream(row(r)).map(c -> c.replace("|", "\\|")).toList())).append(" |\n");
        }
        Set<String> kinds = new TreeSet<>();
        results.forEach(r -> kinds.addAll(r.accuracyByKind().keySet()));
        if (!kinds.isEmpty()) {
            out.append("\nAccuracy by question kind:\n\n| spec | ").append(String.join(" | ", kinds)).append(" |\n|---|")
                    .append("---|".repeat(kinds.size())).append('\n');
            for (ConfigResult r : results) {
                out.append("| ").append(r.spec());
                for (String k : kinds) {
                    Double a = r.accuracyByKind().get(k);
                    out.append(" | ").append(a == null ? "" : fmt("%.3f", a));
                }
                out.append(" |\n");
            }
        }
        return out.toString();
    }

    private static String fmt(String f, Object... args) {
        return String.format(Locale.ROOT, f, args);
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(w - s.length());
    }

    private static String padLeft(String s, int w) {
        return " ".repeat(w - s.length()) + s;
    }
}
