package dev.sieve.cli.bench;

import java.util.Arrays;

/** Best and median of repeated timings, in seconds. */
record Timing(double best, double median) {
    static Timing of(double[] seconds) {
        double[] s = seconds.clone();
        Arrays.sort(s);
        return new Timing(s[0], s[s.length / 2]);
    }

    /** Runs {@code body} until {@code warmupSeconds} have passed (the JIT compiles large drivers late). */
    static void warmUp(Runnable body, double warmupSeconds, int minRuns) {
        long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < minRuns || System.nanoTime() < end; i++) {
            body.run();
        }
    }

    static double seconds(Runnable body) {
        long t0 = System.nanoTime();
        body.run();
        return (System.nanoTime() - t0) / 1e9;
    }
}
