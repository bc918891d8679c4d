package dev.sieve.cli;

import dev.sieve.llava.LanguageModel;
import dev.sieve.llava.Llava;
import dev.sieve.llava.LlavaConfig;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.KvCache;
import dev.sieve.runtime.OpCounters;
import dev.sieve.runtime.OpKind;
import dev.sieve.runtime.Ops;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code sieve bench llm}: the language model alone, as {@code llama-bench -p P -n N} measures one:
 * "ppP" prefills P random token ids into an empty KV cache (tokens per second of the prompt),
 * "tgN" then decodes N tokens greedily with that cache (tokens per second of the steps). Each
 * repetition starts from an empty cache; untimed warm passes run first. Besides the table, one
 * line per test in llama-bench's words ({@code pp611 17.70 t/s}) gives the mean over repetitions.
 * Unlike llama-bench's tg test, which decodes from an empty context, tgN here follows the prompt.
 */
final class LlmBench {
    private final PrintWriter out;
    private final PrintWriter err;

    LlmBench(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    void run(Path model, int promptTokens, int genTokens, WeightsOption.Load weights, Integer threads, int reps, int warmPasses) {
        LlavaConfig config = LlavaConfig.load(model);
        LlavaConfig.Text t = config.text();
        SplittableRandom random = new SplittableRandom(7);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = random.nextInt(t.vocabSize());
        }
        long loadStart = System.nanoTime();
        try (Llava llava = WeightsOption.load(model, weights, threads, err);
             ExecutionContext ctx = threads == null ? ExecutionContext.create() : ExecutionContext.create(threads);
             KvCache cache = LanguageModel.of(llava).newCache(promptTokens + genTokens)) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            LanguageModel lm = LanguageModel.of(llava);
            Ops ops = new Ops(ctx);
            out.printf(Locale.ROOT, "# sieve bench llm: %s (%d layers, hidden %d, vocabulary %d), weights %s, %d threads, Java %s%n", model,
                    t.layers(), t.hiddenSize(), t.vocabSize(), weights.describe(), ctx.threads(), Runtime.version());
            out.printf(Locale.ROOT, "# load %.1f s; prompt of %d random token ids, then %d greedy decode steps with the KV cache; "
                    + "%d untimed pass(es), %d timed%n", loadSeconds, promptTokens, genTokens, warmPasses, reps);
            out.flush();
            float[] logits = new float[lm.vocabSize()];
            float[] row = new float[lm.hiddenSize()];
            for (int w = 0; w < warmPasses; w++) {
                pass(lm, cache, prompt, genTokens, logits, row, ops, null, null);
            }
            double[] pp = new double[reps];
            double[] tg = new double[reps];
            long[] stepBytes = new long[1];
            OpCounters.Snapshot decodeOps = new OpCounters().snapshot();
            double decodeSeconds = 0;
            for (int r = 0; r < reps; r++) {
                OpCounters.Snapshot[] decode = new OpCounters.Snapshot[1];
                double[] seconds = pass(lm, cache, prompt, genTokens, logits, row, ops, stepBytes, decode);
                pp[r] = promptTokens / seconds[0];
                tg[r] = genTokens / seconds[1];
                decodeOps = decodeOps.plus(decode[0]);
                decodeSeconds += seconds[1];
            }
            out.printf(Locale.ROOT, "%-8s %10s %10s %10s   %s%n", "test", "t/s mean", "best", "median", "heap allocated per token (all threads)");
            out.printf(Locale.ROOT, "%-8s %10.2f %10.2f %10.2f%n", "pp" + promptTokens, mean(pp), max(pp), median(pp));
            if (genTokens > 0) {
                out.printf(Locale.ROOT, "%-8s %10.2f %10.2f %10.2f   %,d bytes%n", "tg" + genTokens, mean(tg), max(tg), median(tg),
                        stepBytes[0] / ((long) genTokens * reps));
            }
            if (genTokens > 0) {
                printDecodeBreakdown(decodeOps, decodeSeconds, (long) genTokens * reps);
            }
            out.printf(Locale.ROOT, "pp%d %.2f t/s%n", promptTokens, mean(pp));
            if (genTokens > 0) {
                out.printf(Locale.ROOT, "tg%d %.2f t/s%n", genTokens, mean(tg));
            }
            out.flush();
        }
    }

    /** One prefill and genTokens steps from an empty cache: {prefill seconds, decode seconds}; adds decode allocation to {@code stepBytes}. */
    private static double[] pass(LanguageModel lm, KvCache cache, int[] prompt, int genTokens, float[] logits, float[] row, Ops ops,
                                 long[] stepBytes, OpCounters.Snapshot[] decodeOps) {
        cache.clear();
        long t0 = System.nanoTime();
        lm.prefill(prompt, cache, logits, ops);
        long t1 = System.nanoTime();
        long allocated = stepBytes == null ? 0 : allocatedBytes();
        OpCounters.Snapshot before = ops.context().counters().snapshot();
        for (int i = 0; i < genTokens; i++) {
            lm.step(LanguageModel.argmax(logits), cache, row, logits, ops);
        }
        long t2 = System.nanoTime();
        if (decodeOps != null) {
            decodeOps[0] = ops.context().counters().snapshot().since(before);
        }
        if (stepBytes != null) {
            stepBytes[0] += allocatedBytes() - allocated;
        }
        return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
    }

    /**
     * Where a decode step's time goes: milliseconds per token in each kind of op (as the op counters
     * time them around each call, thread fork and join included) and the rest of the step outside
     * any op (argmax, embedding lookup, the model's own bookkeeping).
     */
    private void printDecodeBreakdown(OpCounters.Snapshot ops, double seconds, long steps) {
        double stepMillis = seconds * 1e3 / steps;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "# decode step %.1f ms:", stepMillis));
        double inOps = 0;
        for (OpKind kind : OpKind.values()) {
            OpCounters.Stats s = ops.get(kind);
            if (s.calls() > 0) {
                double ms = s.millis() / steps;
                inOps += ms;
                line.append(String.format(Locale.ROOT, " %s %.1f (%d calls)", kind.name().toLowerCase(Locale.ROOT), ms, s.calls() / steps));
                if (kind == OpKind.GEMV) {
                    line.append(String.format(Locale.ROOT, " at %.1f GFLOP/s", s.gflopsPerSecond()));
                }
                line.append(',');
            }
        }
        line.append(String.format(Locale.ROOT, " outside ops %.1f", stepMillis - inOps));
        out.println(line);
    }

    /** Heap bytes allocated so far by all live threads (HotSpot's per-thread counters). */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean) {
            long[] ids = bean.getAllThreadIds();
            return Arrays.stream(bean.getThreadAllocatedBytes(ids)).filter(b -> b > 0).sum();
        }
        return 0;
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
