package dev.sieve.cli;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * A one-line progress bar with ETA on stderr. On a terminal it redraws in place; otherwise (logs, CI)
 * it prints a line at every tenth of the work so logs stay short.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int lastTenth = -1;

    ProgressBar(PrintWriter err, String label, long total) {
        this(err, label, total, System.console() != null && System.console().isTerminal());
    }

    ProgressBar(PrintWriter err, String label, long total, boolean terminal) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.terminal = terminal;
    }

    /** A bar that draws only when stdin/stdout are a terminal; null otherwise (short runs in logs need none). */
    static ProgressBar onTerminal(PrintWriter err, String label, long total) {
        return System.console() != null && System.console().isTerminal() ? new ProgressBar(err, label, total, true) : null;
    }

    void update(long done) {
        long now = System.nanoTime();
        int tenth = (int) (10 * done / total);
        if (terminal ? now - lastDraw < 100_000_000L && done < total : tenth == lastTenth) {
            return;
        }
        lastDraw = now;
        lastTenth = tenth;
        int filled = (int) (WIDTH * done / total);
        double elapsed = (now - start) / 1e9;
        String eta = done == 0 ? "?" : format(Duration.ofMillis((long) (1000 * elapsed * (total - done) / done)));
        String line = String.format("%s [%s%s] %d/%d  %s elapsed, ETA %s", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                done, total, format(Duration.ofMillis((long) (1000 * elapsed))), eta);
        err.print(terminal ? "\r" + line : line + "\n");
        err.flush();
    }

    void finish() {
        if (terminal) {
            err.print("\r\033[K");
            err.flush();
        }
    }

    static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
