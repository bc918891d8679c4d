package dev.sieve.llava.image;

/**
 * {@code PIL.Image.resize(size, Image.BICUBIC)} for RGB images, bit-exact with Pillow's
 * {@code ImagingResample}: a horizontal pass then a vertical pass, each a convolution with
 * fixed-point taps that rounds and clamps back to uint8 (so the intermediate image is uint8 too,
 * which matters for exactness). A pass is skipped when its dimension does not change, as in Pillow.
 */
public final class PillowBicubicResizer {
    private static final int PRECISION_BITS = BicubicFilterTaps.PRECISION_BITS;
    /** Starting the accumulator at one half makes the final shift round to nearest. */
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final int C = RgbImage.CHANNELS;

    private PillowBicubicResizer() {}

    public static RgbImage resize(RgbImage image, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        }
        RgbImage result = image;
        if (width != image.width()) {
            result = horizontal(result, width);
        }
        if (height != image.height()) {
            result = vertical(result, height);
        }
        return result;
    }

    private static RgbImage horizontal(RgbImage in, int outWidth) {
        BicubicFilterTaps t = BicubicFilterTaps.compute(in.width(), outWidth);
        byte[] src = in.pixels();
        byte[] dst = new byte[outWidth * in.height() * C];
        for (int y = 0; y < in.height(); y++) {
            int rowStart = y * in.width() * C;
            for (int x = 0; x < outWidth; x++) {
                int k = x * t.stride;
                int base = rowStart + t.first[x] * C;
                for (int c = 0; c < C; c++) {
                    // int accumulator like Pillow's INT32 ss0..ss2; the taps are bounded so it cannot overflow.
                    int sum = HALF;
                    for (int i = 0; i < t.count[x]; i++) {
                        sum += (src[base + i * C + c] & 0xFF) * t.taps[k + i];
                    }
                    dst[(y * outWidth + x) * C + c] = clip8(sum);
                }
            }
        }
        return new RgbImage(outWidth, in.height(), dst);
    }

    private static RgbImage vertical(RgbImage in, int outHeight) {
        BicubicFilterTaps t = BicubicFilterTaps.compute(in.height(), outHeight);
        byte[] src = in.pixels();
        int rowBytes = in.width() * C;
        byte[] dst = new byte[outHeight * rowBytes];
        for (int y = 0; y < outHeight; y++) {
            int k = y * t.stride;
            int base = t.first[y] * rowBytes;
            for (int j = 0; j < rowBytes; j++) {
                int sum = HALF;
                for (int i = 0; i < t.count[y]; i++) {
                    sum += (src[base + i * rowBytes + j] & 0xFF) * t.taps[k + i];
                }
                dst[y * rowBytes + j] = clip8(sum);
            }
        }
        return new RgbImage(in.width(), outHeight, dst);
    }

    /** Pillow's clip8: drop the fraction bits (arithmetic shift) and clamp to 0..255. */
    private static byte clip8(int fixedPoint) {
        int v = fixedPoint >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }
}
