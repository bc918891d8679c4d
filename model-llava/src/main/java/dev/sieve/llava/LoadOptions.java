package dev.sieve.llava;

import dev.sieve.kernels.WeightType;

/**
 * How {@link Llava#load(java.nio.file.Path, LoadOptions)} prepares the weights.
 *
 * @param weights the storage type of every Linear weight (LLM, projector, vision tower), converted at
 *                load; null keeps the checkpoint's own types, memory-mapped and never copied. The token
 *                embedding table and the patch embedding stay as stored (they are looked up or run once).
 * @param threads threads that convert (each matrix's rows are spread over them)
 * @param progress told the bytes of source weights converted so far, of the total to convert
 */
public record LoadOptions(WeightType weights, int threads, Progress progress) {
    /** The checkpoint as stored, memory-mapped. */
    public static final LoadOptions AS_STORED = new LoadOptions(null, 1, Progress.NONE);

    public LoadOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        progress = progress == null ? Progress.NONE : progress;
    }

    /** Converts to {@code weights} (null: as stored) on every core, without progress reports. */
    public static LoadOptions weights(WeightType weights) {
        return new LoadOptions(weights, Runtime.getRuntime().availableProcessors(), Progress.NONE);
    }

    /** Conversion progress, called from the loading thread after each converted matrix. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> { };

        void converted(long bytesDone, long bytesTotal);
    }
}
