package dev.sieve.runtime;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Calls, FLOPs and nanoseconds per {@link OpKind}, safe to record from any thread. LongAdder keeps
 * contention off the hot path (each thread adds to its own cell), so the counters can stay on in
 * production runs and the result can report FLOPs spent with and without pruning.
 *
 * <p>By convention one multiply-add counts as 2 FLOPs.
 */
public final class OpCounters {
    private static final OpKind[] KINDS = OpKind.values();

    private final LongAdder[] calls = adders();
    private final LongAdder[] flops = adders();
    private final LongAdder[] nanos = adders();

    /** Adds one call of {@code kind} that did {@code flopCount} FLOPs in {@code nanoTime} ns. */
    public void record(OpKind kind, long flopCount, long nanoTime) {
        int k = kind.ordinal();
        calls[k].increment();
        flops[k].add(flopCount);
        nanos[k].add(nanoTime);
    }

    /** Runs {@code work} and records it as one call of {@code kind} with {@code flopCount} FLOPs. */
    public void time(OpKind kind, long flopCount, Runnable work) {
        long start = System.nanoTime();
        try {
            work.run();
        } finally {
            record(kind, flopCount, System.nanoTime() - start);
        }
    }

    /** A timer for try-with-resources: {@code try (var t = counters.start(GEMM, flops)) { ... }}. */
    public Timer start(OpKind kind, long flopCount) {
        return new Timer(this, kind, flopCount, System.nanoTime());
    }

    /** Records on close the time since it was started. */
    public record Timer(OpCounters counters, OpKind kind, long flopCount, long startNanos) implements AutoCloseable {
        @Override
        public void close() {
            counters.record(kind, flopCount, System.nanoTime() - startNanos);
        }
    }

    /** Zeroes every counter. Records racing with a reset may land on either side of it. */
    public void reset() {
        for (int k = 0; k < KINDS.length; k++) {
            calls[k].reset();
            flops[k].reset();
            nanos[k].reset();
        }
    }

    /** The counters now, as immutable values. */
    public Snapshot snapshot() {
        Map<OpKind, Stats> m = new EnumMap<>(OpKind.class);
        for (OpKind kind : KINDS) {
            int k = kind.ordinal();
            m.put(kind, new Stats(calls[k].sum(), flops[k].sum(), nanos[k].sum()));
        }
        return new Snapshot(Collections.unmodifiableMap(m));
    }

    /** Shorthand for {@code snapshot().table()}. */
    public String table() {
        return snapshot().table();
    }

    /** One kind's totals. */
    public record Stats(long calls, long flops, long nanos) {
        public static final Stats ZERO = new Stats(0, 0, 0);

        public double gflop() {
            return flops / 1e9;
        }

        public double millis() {
            return nanos / 1e6;
        }

        /** FLOPs per nanosecond is GFLOP/s; 0 when no time was recorded. */
        public double gflopsPerSecond() {
            return nanos == 0 ? 0 : (double) flops / nanos;
        }

        Stats plus(Stats o) {
            return new Stats(calls + o.calls, flops + o.flops, nanos + o.nanos);
        }

        Stats minus(Stats o) {
            return new Stats(calls - o.calls, flops - o.flops, nanos - o.nanos);
        }
    }

    /** Immutable counters for every kind (kinds never recorded are present with zeros). */
    public record Snapshot(Map<OpKind, Stats> byKind) {
        public Snapshot {
            byKind = Collections.unmodifiableMap(new EnumMap<>(byKind));
        }

        public Stats get(OpKind kind) {
            return byKind.getOrDefault(kind, Stats.ZERO);
        }

        public Stats total() {
            Stats t = Stats.ZERO;
            for (Stats s : byKind.values()) {
                t = t.plus(s);
            }
            return t;
        }

        /** What was recorded between {@code earlier} and this snapshot (per phase timings). */
        public Snapshot since(Snapshot earlier) {
            Map<OpKind, Stats> m = new EnumMap<>(OpKind.class);
            byKind.forEach((k, s) -> m.put(k, s.minus(earlier.get(k))));
            return new Snapshot(m);
        }

        /** Both snapshots' counts added kind by kind (totals over several measured phases). */
        public Snapshot plus(Snapshot other) {
            Map<OpKind, Stats> m = new EnumMap<>(OpKind.class);
            for (OpKind k : KINDS) {
                m.put(k, get(k).plus(other.get(k)));
            }
            return new Snapshot(m);
        }

        /** A fixed-width table, one row per kind that was called, then the total. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%-12s %10s %12s %12s %10s%n", "kind", "calls", "GFLOP", "ms", "GFLOP/s"));
            byKind.forEach((k, s) -> {
                if (s.calls() > 0) {
                    row(sb, k.name(), s);
                }
            });
            row(sb, "total", total());
            return sb.toString();
        }

        private static void row(StringBuilder sb, String name, Stats s) {
            sb.append(String.format(Locale.ROOT, "%-12s %10d %12.3f %12.3f %10.2f%n",
                    name, s.calls(), s.gflop(), s.millis(), s.gflopsPerSecond()));
        }
    }

    private static LongAdder[] adders() {
        LongAdder[] a = new LongAdder[KINDS.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }
}
