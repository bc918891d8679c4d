package dev.sieve.llava;

import dev.sieve.kernels.WeightType;

/**
 * How {@link Llava#load(java.nio.file.Path, LoadOptions)} prepares the weights.
 *
 * @param weights the storage type of every Linear weight (LLM, projector, vision tower), converted at
 *                load; null keeps the checkpoint's own types. The token embedding table and the patch
 *                embedding stay as stored (they are looked up or run once).
 * @param mmap    whether Linear weights that need no conversion are read from the checkpoint's memory
 *                mapping (true: no copy, nothing to load) or copied into the process's own memory at load
 *                (false, llama.cpp's {@code --no-mmap}: decode read F16 weights 10-35% faster from the copy on
 *                the machine of docs/BENCHMARKS.md; costs a pass over the weights at load and their size in RAM)
 * @param threads threads that convert or copy (each matrix's rows are spread over them)
 * @param progress told the bytes of source weights converted or copied so far, of the total
 */
public record LoadOptions(WeightType weights, boolean mmap, int threads, Progress progress) {
    /** The checkpoint as stored, memory-mapped. */
    public static final LoadOptions AS_STORED = new LoadOptions(null, true, 1, Progress.NONE);

    public LoadOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        progress = progress == null ? Progress.NONE : progress;
    }

    /** Converts to {@code weights} (null: as stored); what needs no conversion stays memory-mapped. */
    public LoadOptions(WeightType weights, int threads, Progress progress) {
        this(weights, true, threads, progress);
    }

    /** Converts to {@code weights} (null: as stored) on every core, without progress reports. */
    public static LoadOptions weights(WeightType weights) {
        return new LoadOptions(weights, Runtime.getRuntime().availableProcessors(), Progress.NONE);
    }

    /** This, with unconverted weights copied into memory ({@code mmap} false) or read from the mapping (true). */
    public LoadOptions withMmap(boolean mmap) {
        return new LoadOptions(weights, mmap, threads, progress);
    }

    /** Whether loading reads or writes every Linear weight (a conversion or a copy), so progress is worth showing. */
    public boolean transformsWeights() {
        return weights != null || !mmap;
    }

    /** Load progress, called from the loading thread after each converted or copied matrix. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> { };

        void converted(long bytesDone, long bytesTotal);
    }
}
