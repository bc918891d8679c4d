package dev.sieve.llava.image;

/**
 * The per-output-pixel filter taps of one resampling pass, computed exactly as Pillow's
 * {@code libImaging/Resample.c} ({@code precompute_coeffs} then {@code normalize_coeffs_8bpc})
 * does for {@code Image.BICUBIC}. Reproducing the double-precision steps in the same order is
 * what makes the uint8 output bit-identical to PIL.
 */
final class BicubicFilterTaps {
    /** Fixed-point fraction bits of the integer taps: 32 - 8 (pixel) - 2 (headroom), as in Pillow. */
    static final int PRECISION_BITS = 32 - 8 - 2;

    /** Pillow's bicubic filter has support 2 (pixels of the smaller image). */
    private static final double SUPPORT = 2.0;
    /** Pillow uses a = -0.5 (Catmull-Rom-like), not the -0.75 of some other libraries. */
    private static final double A = -0.5;

    /** First input index read by output pixel i. */
    final int[] first;
    /** Number of input pixels read by output pixel i. */
    final int[] count;
    /** Fixed-point taps: output pixel i uses {@code taps[i * stride .. i * stride + count[i])}. */
    final int[] taps;
    final int stride;

    private BicubicFilterTaps(int[] first, int[] count, int[] taps, int stride) {
        this.first = first;
        this.count = count;
        this.taps = taps;
        this.stride = stride;
    }

    /** Taps mapping {@code inSize} input pixels onto {@code outSize} (the whole extent, no crop box). */
    static BicubicFilterTaps compute(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        // When shrinking, the filter is stretched by the scale factor: this is Pillow's antialiasing.
        double filterScale = Math.max(scale, 1.0);
        double support = SUPPORT * filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1;

        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[] taps = new int[outSize * stride];
        double[] weights = new double[stride];
        for (int out = 0; out < outSize; out++) {
            double center = (out + 0.5) * scale;
            double invFilterScale = 1.0 / filterScale;
            // (int) truncates toward zero, like the C cast Pillow uses to "round" the bounds.
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = filter((x + xmin - center + 0.5) * invFilterScale);
                weights[x] = w;
                sum += w;
            }
            for (int x = 0; x < xmax; x++) {
                double k = sum != 0.0 ? weights[x] / sum : weights[x];
                taps[out * stride + x] = toFixedPoint(k);
            }
            first[out] = xmin;
            count[out] = xmax;
        }
        return new BicubicFilterTaps(first, count, taps, stride);
    }

    /** Pillow's normalize_coeffs_8bpc: round half away from zero, via C's truncating cast. */
    private static int toFixedPoint(double k) {
        double scaled = k * (1 << PRECISION_BITS);
        return (int) (k < 0 ? -0.5 + scaled : 0.5 + scaled);
    }

    /** Keys' cubic convolution kernel with a = -0.5, written in Pillow's operation order. */
    static double filter(double x) {
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * A;
        }
        return 0.0;
    }
}
