package dev.sieve.llava.image;

/**
 * The size arithmetic and cropping/padding steps of CLIPImageProcessor and LLaVA, written with
 * Python's floor division and truncation so the pixel offsets match the reference exactly.
 */
public final class ImageGeometry {
    private ImageGeometry() {}

    /** A width and height in pixels. */
    public record Size(int width, int height) {}

    /**
     * transformers' {@code get_resize_output_image_size(..., size=shortest_edge, default_to_square=False)}:
     * the shorter side becomes {@code shortestEdge}, the other {@code int(shortestEdge * long / short)}
     * (float division, then truncation). Square images become {@code shortestEdge x shortestEdge}.
     */
    public static Size shortestEdgeResize(int width, int height, int shortestEdge) {
        if (shortestEdge <= 0) {
            throw new IllegalArgumentException("shortest_edge must be positive, got " + shortestEdge);
        }
        boolean portraitOrSquare = width <= height;
        int shortSide = portraitOrSquare ? width : height;
        int longSide = portraitOrSquare ? height : width;
        int newLong = (int) ((double) shortestEdge * longSide / shortSide);
        return portraitOrSquare ? new Size(shortestEdge, newLong) : new Size(newLong, shortestEdge);
    }

    /**
     * transformers' {@code center_crop}: the window starts at {@code ((h - ch) // 2, (w - cw) // 2)};
     * when the image is smaller than the crop along a side, it is first centred on a zero canvas
     * (offset {@code ceil((crop - size) / 2)}), as transformers does.
     */
    public static RgbImage centerCrop(RgbImage image, int cropWidth, int cropHeight) {
        if (cropWidth <= 0 || cropHeight <= 0) {
            throw new IllegalArgumentException("crop size must be positive, got " + cropWidth + "x" + cropHeight);
        }
        int left = Math.floorDiv(image.width() - cropWidth, 2);
        int top = Math.floorDiv(image.height() - cropHeight, 2);
        if (left >= 0 && top >= 0) {
            return crop(image, left, top, cropWidth, cropHeight);
        }
        int canvasWidth = Math.max(cropWidth, image.width());
        int canvasHeight = Math.max(cropHeight, image.height());
        int padLeft = ceilHalf(canvasWidth - image.width());
        int padTop = ceilHalf(canvasHeight - image.height());
        RgbImage canvas = RgbImage.filled(canvasWidth, canvasHeight, 0, 0, 0).withPasted(image, padLeft, padTop);
        return crop(canvas, left + padLeft, top + padTop, cropWidth, cropHeight);
    }

    /** The {@code width x height} window whose top-left corner is {@code (left, top)}; it must lie inside the image. */
    public static RgbImage crop(RgbImage image, int left, int top, int width, int height) {
        if (left < 0 || top < 0 || left + width > image.width() || top + height > image.height()) {
            throw new IllegalArgumentException("crop window " + width + "x" + height + " at (" + left + ", " + top
                    + ") does not fit in a " + image.width() + "x" + image.height() + " image");
        }
        byte[] out = new byte[width * height * RgbImage.CHANNELS];
        for (int y = 0; y < height; y++) {
            System.arraycopy(image.pixels(), ((top + y) * image.width() + left) * RgbImage.CHANNELS, out,
                    y * width * RgbImage.CHANNELS, width * RgbImage.CHANNELS);
        }
        return new RgbImage(width, height, out);
    }

    /**
     * LLaVA's {@code expand2square}: a square of side {@code max(w, h)} filled with {@code background}
     * (r, g, b), the image pasted at {@code ((side - w) // 2, (side - h) // 2)}.
     */
    public static RgbImage expandToSquare(RgbImage image, int[] background) {
        if (background.length != RgbImage.CHANNELS) {
            throw new IllegalArgumentException("background must have 3 components, got " + background.length);
        }
        int side = Math.max(image.width(), image.height());
        if (image.width() == image.height()) {
            return image;
        }
        return RgbImage.filled(side, side, background[0], background[1], background[2])
                .withPasted(image, (side - image.width()) / 2, (side - image.height()) / 2);
    }

    /**
     * LLaVA's padding colour, {@code tuple(int(x * 255) for x in image_mean)}: the mean scaled to
     * 0..255 and truncated, (122, 116, 104) for the CLIP mean.
     */
    public static int[] backgroundFromMean(double[] imageMean) {
        int[] rgb = new int[imageMean.length];
        for (int c = 0; c < rgb.length; c++) {
            rgb[c] = (int) (imageMean[c] * 255.0);
        }
        return rgb;
    }

    private static int ceilHalf(int n) {
        return (n + 1) / 2;
    }
}
