package dev.sieve.cli;

import dev.sieve.kernels.WeightType;
import dev.sieve.llava.Llava;
import dev.sieve.llava.LoadOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/** {@code --weights q8_0|bf16|f16|f32}: the weight type a model is converted to at load (absent: as stored, memory-mapped). */
public final class WeightsOption {
    public static final String DESCRIPTION = "convert the Linear weights at load: q8_0, bf16, f16 or f32 (default: as stored, memory-mapped)";

    private WeightsOption() {}

    /** The type named by {@code value} (any case), null for null; a bad name is a one-line user error. */
    public static WeightType parse(String value) {
        if (value == null) {
            return null;
        }
        return Arrays.stream(WeightType.values()).filter(t -> t.name().equalsIgnoreCase(value)).findFirst()
                .orElseThrow(() -> new UserInputException("--weights must be one of q8_0, bf16, f16, f32; got '" + value + "'"));
    }

    /** Loads {@code model}, converting to {@code type} (null: as stored) on {@code threads} threads with a progress bar on {@code err}. */
    static Llava load(Path model, WeightType type, Integer threads, PrintWriter err) {
        if (type == null) {
            return Llava.load(model);
        }
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        ProgressBar[] bar = {null};
        long start = System.nanoTime();
        long[] converted = {0};
        Llava llava = Llava.load(model, new LoadOptions(type, t, (done, total) -> {
            if (bar[0] == null) {
                bar[0] = new ProgressBar(err, "converting weights to " + type + " (MiB)", total >> 20);
            }
            bar[0].update(done >> 20);
            converted[0] = done;
        }));
        if (bar[0] != null) {
            bar[0].finish();
        }
        err.printf(Locale.ROOT, "converted %.2f GiB of weights to %s in %.1f s (%d threads)%n", converted[0] / (double) (1L << 30), type,
                (System.nanoTime() - start) / 1e9, t);
        err.flush();
        return llava;
    }
}
