package dev.sieve.llava.image;

/**
 * The vision tower's input for one image: float32 in CHW order, {@code [3, height, width]},
 * i.e. the Hugging Face {@code pixel_values} tensor without its batch dimension.
 */
public record PixelValues(int height, int width, float[] chw) {
    public static final int CHANNELS = RgbImage.CHANNELS;

    public PixelValues {
        if (chw.length != (long) CHANNELS * height * width) {
            throw new IllegalArgumentException("expected " + (long) CHANNELS * height * width + " values for [3, "
                    + height + ", " + width + "], got " + chw.length);
        }
    }

    /** The value of channel {@code c} at row {@code y}, column {@code x}. */
    public float get(int c, int y, int x) {
        return chw[(c * height + y) * width + x];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PixelValues p && height == p.height && width == p.width
                && java.util.Arrays.equals(chw, p.chw);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * height + width) + java.util.Arrays.hashCode(chw);
    }

    @Override
    public String toString() {
        return "PixelValues[3x" + height + "x" + width + "]";
    }
}
