package dev.sieve.cli;

import dev.sieve.kernels.WeightType;
import dev.sieve.llava.Llava;
import dev.sieve.llava.LoadOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code --weights q8_0|bf16|f16|f32}: the weight type a model is converted to at load (absent: as stored), and
 * {@code --no-mmap}: copy the weights that need no conversion into memory instead of reading them from the mapping.
 */
public final class WeightsOption {
    public static final String DESCRIPTION = "convert the Linear weights at load: q8_0, bf16, f16 or f32 (default: as stored, memory-mapped)";
    public static final String NO_MMAP_DESCRIPTION = "copy the Linear weights into memory at load instead of reading them from the "
            + "checkpoint's memory mapping (a slower load, and the weights' size in RAM besides the page cache; decode was faster on some "
            + "machines, see docs/BENCHMARKS.md)";

    /** What a command asks of the load: the weight type (null: as stored) and whether unconverted weights stay mapped. */
    public record Load(WeightType type, boolean mmap) {
        /** From the options' values ({@code --weights}, {@code --no-mmap}); a bad type name is a one-line user error. */
        public static Load of(String weights, boolean noMmap) {
            return new Load(parse(weights), !noMmap);
        }

        /** For headers: e.g. "as stored (memory-mapped)", "as stored, copied into memory", "Q8_0 (converted at load)". */
        public String describe() {
            if (type == null) {
                return mmap ? "as stored (memory-mapped)" : "as stored, copied into memory";
            }
            return type + " (converted at load)";
        }
    }

    private WeightsOption() {}

    /** The type named by {@code value} (any case), null for null; a bad name is a one-line user error. */
    public static WeightType parse(String value) {
        if (value == null) {
            return null;
        }
        return Arrays.stream(WeightType.values()).filter(t -> t.name().equalsIgnoreCase(value)).findFirst()
                .orElseThrow(() -> new UserInputException("--weights must be one of q8_0, bf16, f16, f32; got '" + value + "'"));
    }

    /**
     * Loads {@code model} as {@code load} asks, converting or copying on {@code threads} threads (null: all cores)
     * with a progress bar on {@code err}.
     */
    static Llava load(Path model, Load load, Integer threads, PrintWriter err) {
        String what = load.type() == null ? "copying weights into memory" : "converting weights to " + load.type();
        ProgressBar[] bar = {null};
        long[] done = {0};
        LoadOptions options = new LoadOptions(load.type(), load.mmap(), threads == null ? Runtime.getRuntime().availableProcessors() : threads,
                (bytes, total) -> {
                    if (bar[0] == null) {
                        bar[0] = new ProgressBar(err, what + " (MiB)", total >> 20);
                    }
                    bar[0].update(bytes >> 20);
                    done[0] = bytes;
                });
        if (!options.transformsWeights()) {
            return Llava.load(model);
        }
        long start = System.nanoTime();
        Llava llava = Llava.load(model, options);
        if (bar[0] != null) {
            bar[0].finish();
        }
        err.printf(Locale.ROOT, "%s: %.2f GiB in %.1f s (%d threads)%n", what, done[0] / (double) (1L << 30), (System.nanoTime() - start) / 1e9,
                options.threads());
        err.flush();
        return llava;
    }
}
