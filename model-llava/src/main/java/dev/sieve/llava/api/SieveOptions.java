package dev.sieve.llava.api;

/**
 * How {@link Sieve#open} runs a model. Immutable; change one setting with the {@code with...} methods:
 * {@code SieveOptions.defaults().withThreads(4).withDefaultPrune("vispruner:keep=64")}.
 *
 * @param threads worker threads of the kernels, 0 for all cores
 * @param defaultPrune the pruning spec of requests that name none ({@code "none"}: unpruned)
 * @param maxBatch how many requests decode together at most (continuous batching)
 * @param padToSquare LLaVA-1.5's {@code image_aspect_ratio=pad}: pad images to a square with the mean colour first
 * @param maxImageBytes the largest encoded image accepted
 * @param maxImagePixels the largest width x height accepted, checked from the image header before any pixel is decoded
 * @param weights the type the Linear weights are converted to at load (Q8_0, BF16, F16, F32), or null to keep the
 *     checkpoint's own
 * @param mmap whether weights that need no conversion are read from the checkpoint's memory mapping (true, the
 *     default) or copied into the process's memory at load (false: a slower load, and on some machines a faster
 *     decode; see {@link dev.sieve.llava.LoadOptions#mmap})
 */
public record SieveOptions(int threads, String defaultPrune, int maxBatch, boolean padToSquare, long maxImageBytes, long maxImagePixels,
                           dev.sieve.kernels.WeightType weights, boolean mmap) {

    /** 20 MiB and 40 megapixels: a 24000 x 24000 PNG (576 Mpx, 1.7 GB as RGB) is refused, any photo is not. */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 20L << 20;
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 40_000_000L;

    public SieveOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = all cores), got " + threads);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
        }
        if (maxImageBytes < 1 || maxImagePixels < 1) {
            throw new IllegalArgumentException("image limits must be >= 1");
        }
        defaultPrune = defaultPrune == null || defaultPrune.isBlank() ? "none" : defaultPrune.strip();
    }

    public static SieveOptions defaults() {
        return new SieveOptions(0, "none", 8, false, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_PIXELS, null, true);
    }

    public SieveOptions withThreads(int n) {
        return new SieveOptions(n, defaultPrune, maxBatch, padToSquare, maxImageBytes, maxImagePixels, weights, mmap);
    }

    public SieveOptions withDefaultPrune(String spec) {
        return new SieveOptions(threads, spec, maxBatch, padToSquare, maxImageBytes, maxImagePixels, weights, mmap);
    }

    public SieveOptions withMaxBatch(int n) {
        return new SieveOptions(threads, defaultPrune, n, padToSquare, maxImageBytes, maxImagePixels, weights, mmap);
    }

    public SieveOptions withPadToSquare(boolean pad) {
        return new SieveOptions(threads, defaultPrune, maxBatch, pad, maxImageBytes, maxImagePixels, weights, mmap);
    }

    /** Converts the Linear weights to {@code type} at load (null: as stored). */
    public SieveOptions withWeights(dev.sieve.kernels.WeightType type) {
        return new SieveOptions(threads, defaultPrune, maxBatch, padToSquare, maxImageBytes, maxImagePixels, type, mmap);
    }

    /** Reads unconverted weights from the checkpoint's mapping (true) or copies them into memory at load (false). */
    public SieveOptions withMmap(boolean mapped) {
        return new SieveOptions(threads, defaultPrune, maxBatch, padToSquare, maxImageBytes, maxImagePixels, weights, mapped);
    }

    public SieveOptions withImageLimits(long bytes, long pixels) {
        return new SieveOptions(threads, defaultPrune, maxBatch, padToSquare, bytes, pixels, weights, mmap);
    }
}
