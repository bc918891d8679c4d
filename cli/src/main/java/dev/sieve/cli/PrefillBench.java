package dev.sieve.cli;

import dev.sieve.llava.Llava;
import dev.sieve.llava.LlavaConfig;
import dev.sieve.llava.PrefillFlops;
import dev.sieve.llava.Sampler;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.TensorView;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code sieve bench prefill}: prefill latency and FLOPs of pruning configurations on one model, as
 * ratios to the unpruned pass measured in the same run (configurations interleaved per repetition,
 * median reported), plus load time and decode speed. Inputs come from {@code DIR/inputs.safetensors}
 * ({@code pixel_values}, {@code input_ids}) when present, else from a fixed seed.
 */
final class PrefillBench {
    private final PrintWriter out;
    private final PrintWriter progress;

    PrefillBench(PrintWriter out, PrintWriter progress) {
        this.out = out;
        this.progress = progress;
    }

    void run(Path model, List<String> specs, int reps, int warmPasses, int decodeTokens, int questionTokens, Integer threads,
             WeightsOption.Load weights) {
        List<String> all = new ArrayList<>(List.of("none"));
        specs.stream().filter(s -> !s.equals("none") && !all.contains(s)).forEach(all::add);
        List<PruneOption> options = all.stream().map(PruneOption::new).toList();
        LlavaConfig config = LlavaConfig.load(model);
        List<dev.sieve.pruning.PrunePlan> plans = options.stream().map(o -> o.resolve(config, model)).toList();
        float[] pixels;
        int[] ids;
        Path inputs = model.resolve("inputs.safetensors");
        if (Files.isRegularFile(inputs)) {
            try (SafetensorsCheckpoint in = SafetensorsCheckpoint.open(inputs)) {
                pixels = tensor(in, inputs, "pixel_values").toFloatArray();
                ids = Arrays.stream(tensor(in, inputs, "input_ids").toLongArray()).mapToInt(Math::toIntExact).toArray();
            }
        } else {
            SplittableRandom random = new SplittableRandom(7);
            int size = config.vision().imageSize();
            pixels = new float[3 * size * size];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (float) (random.nextDouble() * 4 - 2);
            }
            ids = syntheticPrompt(config, questionTokens, random);
        }
        long loadStart = System.nanoTime();
        try (Llava llava = WeightsOption.load(model, weights, threads, progress); ExecutionContext ctx = threads == null ? ExecutionContext.create() : ExecutionContext.create(threads)) {
            double loadMs = (System.nanoTime() - loadStart) / 1e6;
            String loaded = weights.type() != null ? "mmap, headers, conversion to " + weights.type() : weights.mmap() ? "mmap, headers" : "mmap, headers, copy into memory";
            Ops ops = new Ops(ctx);
            int full = llava.unprunedPromptLength(ids);
            out.printf(Locale.ROOT, "# sieve bench prefill: %s, %d cores, Java %s%n", model, ctx.threads(), Runtime.version());
            out.printf(Locale.ROOT, "# load (%s): %.0f ms; prompt %d positions (%d visual); %d reps interleaved, median; "
                    + "%d untimed pass(es) of each configuration first%n", loaded, loadMs, full, config.vision().patches(), reps, warmPasses);
            out.flush();
            long firstStart = System.nanoTime();
            llava.generate(pixels, ids, 1, ops);
            out.printf(Locale.ROOT, "# first (cold) unpruned image + prefill, weights paged in: %.0f ms%n", (System.nanoTime() - firstStart) / 1e6);
            out.flush();
            for (int w = 0; w < warmPasses; w++) {
                for (int c = w == 0 ? 1 : 0; c < plans.size(); c++) {
                    generate(llava, pixels, ids, 1, plans.get(c), ops);
                }
            }
            long[][] prefill = new long[plans.size()][reps];
            long[][] image = new long[plans.size()][reps];
            Llava.Generation[] last = new Llava.Generation[plans.size()];
            for (int r = 0; r < reps; r++) {
                for (int c = 0; c < plans.size(); c++) {
                    Llava.Generation g = generate(llava, pixels, ids, 1, plans.get(c), ops);
                    progress.printf(Locale.ROOT, "bench prefill: rep %d %s: %.0f ms%n", r + 1, all.get(c), (g.imageNanos() + g.prefillNanos()) / 1e6);
                    progress.flush();
                    image[c][r] = g.imageNanos();
                    prefill[c][r] = g.imageNanos() + g.prefillNanos();
                    last[c] = g;
                }
            }
            PrefillFlops base = PrefillFlops.of(last[0], config, full);
            double baseTotal = base.llm() + base.vision() + base.projector();
            double baseMs = median(prefill[0]) / 1e6;
            out.printf(Locale.ROOT, "%-36s %8s %10s %12s %12s %10s %12s %10s%n", "config", "visual", "LLM GFLOP", "LLM FLOPs", "ViT FLOPs",
                    "all FLOPs", "prefill ms", "latency");
            for (int c = 0; c < plans.size(); c++) {
                PrefillFlops f = PrefillFlops.of(last[c], config, full);
                double ms = median(prefill[c]) / 1e6;
                out.printf(Locale.ROOT, "%-36s %8d %10.1f %11.1f%% %11.1f%% %9.1f%% %12.0f %9.1f%%   (vision+projector %.0f ms)%n", all.get(c),
                        last[c].visualTokensKept(), f.llm() / 1e9, 100 * f.llmRatio(), 100 * f.visionRatio(),
                        100 * (f.llm() + f.vision() + f.projector()) / baseTotal, ms, 100 * ms / baseMs, median(image[c]) / 1e6);
            }
            if (decodeTokens > 0) {
                Llava.Generation g = generate(llava, pixels, ids, decodeTokens + 1, plans.get(0), ops);
                out.printf(Locale.ROOT, "decode (unpruned, KV cache): %d tokens in %.0f ms = %.2f tok/s%n", decodeTokens, g.decodeNanos() / 1e6,
                        decodeTokens / (g.decodeNanos() / 1e9));
            }
        }
    }

    private static Llava.Generation generate(Llava llava, float[] pixels, int[] ids, int n, dev.sieve.pruning.PrunePlan plan, Ops ops) {
        return llava.generate(pixels, ids, n, new Sampler(0, 1, 0), new int[0], (s, t) -> {}, plan, ops);
    }

    /** BOS, a few tokens, the image placeholder, then {@code questionTokens} tokens (a LLaVA-1.5 prompt's shape). */
    static int[] syntheticPrompt(LlavaConfig config, int questionTokens, SplittableRandom random) {
        int vocab = Math.min(config.text().vocabSize(), config.imageTokenIndex());
        int[] ids = new int[1 + 4 + 1 + questionTokens];
        ids[0] = 1;
        for (int i = 1; i < ids.length; i++) {
            ids[i] = i == 5 ? config.imageTokenIndex() : 3 + random.nextInt(Math.max(1, vocab - 3));
        }
        return ids;
    }

    private static TensorView tensor(SafetensorsCheckpoint in, Path file, String name) {
        return in.find(name).orElseThrow(() -> new UserInputException(file + ": no tensor '" + name + "'"));
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }
}
