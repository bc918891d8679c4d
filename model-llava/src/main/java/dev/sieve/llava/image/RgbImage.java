package dev.sieve.llava.image;

import java.util.Arrays;

/**
 * An 8-bit RGB image in row-major HWC order: the byte for channel {@code c} of pixel
 * {@code (x, y)} is at {@code (y * width + x) * 3 + c}. This is the layout of a numpy array made
 * from a PIL "RGB" image, which is what the goldens and the Hugging Face processor work on.
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public static final int CHANNELS = 3;

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (pixels.length != (long) width * height * CHANNELS) {
            throw new IllegalArgumentException("expected " + (long) width * height * CHANNELS + " bytes for a " + width
                    + "x" + height + " RGB image, got " + pixels.length);
        }
    }

    /** A {@code width x height} image with every pixel set to {@code (r, g, b)}. */
    public static RgbImage filled(int width, int height, int r, int g, int b) {
        byte[] pixels = new byte[width * height * CHANNELS];
        for (int i = 0; i < pixels.length; i += CHANNELS) {
            pixels[i] = (byte) r;
            pixels[i + 1] = (byte) g;
            pixels[i + 2] = (byte) b;
        }
        return new RgbImage(width, height, pixels);
    }

    /** Channel {@code c} of pixel {@code (x, y)} as 0..255. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * CHANNELS + c] & 0xFF;
    }

    /** A copy of this image with {@code source} written over it, its top-left corner at {@code (left, top)}; parts outside are dropped. */
    public RgbImage withPasted(RgbImage source, int left, int top) {
        byte[] out = pixels.clone();
        int x0 = Math.max(0, left);
        int x1 = Math.min(width, left + source.width);
        if (x1 <= x0) {
            return new RgbImage(width, height, out);
        }
        for (int y = Math.max(0, top); y < Math.min(height, top + source.height); y++) {
            System.arraycopy(source.pixels, ((y - top) * source.width + (x0 - left)) * CHANNELS, out,
                    (y * width + x0) * CHANNELS, (x1 - x0) * CHANNELS);
        }
        return new RgbImage(width, height, out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && width == other.width && height == other.height
                && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
