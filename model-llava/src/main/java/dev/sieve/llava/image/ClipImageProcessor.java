package dev.sieve.llava.image;

import java.nio.file.Path;

/**
 * transformers' {@code CLIPImageProcessor.__call__} for one image: resize the shortest edge
 * (Pillow bicubic), center crop, rescale, normalize, HWC uint8 to CHW float32. Each step is
 * public so callers and tests can inspect the intermediates.
 *
 * <p>Float rounding follows numpy: rescale multiplies in float64 then casts to float32; normalize
 * subtracts and divides in float32 with the mean and std cast to float32.
 */
public final class ClipImageProcessor {
    private final PreprocessorConfig config;

    public ClipImageProcessor(PreprocessorConfig config) {
        this.config = config;
    }

    public static ClipImageProcessor fromConfigFile(Path preprocessorConfigJson) {
        return new ClipImageProcessor(PreprocessorConfig.read(preprocessorConfigJson));
    }

    public PreprocessorConfig config() {
        return config;
    }

    /** Decodes {@code imageFile} and runs the full pipeline. */
    public PixelValues process(Path imageFile) {
        return process(ImageDecoder.decode(imageFile));
    }

    /** The full pipeline: resize, center crop, rescale and normalize, each when the config enables it. */
    public PixelValues process(RgbImage image) {
        RgbImage resized = config.doResize() ? resize(image) : image;
        RgbImage cropped = config.doCenterCrop() ? centerCrop(resized) : resized;
        return toPixelValues(cropped);
    }

    /**
     * LLaVA-1.5's {@code image_aspect_ratio = "pad"}: expand to a square filled with the mean colour,
     * then the same pipeline, so nothing is cropped away.
     */
    public PixelValues processPaddedToSquare(RgbImage image) {
        return process(padToSquare(image));
    }

    /** LLaVA's expand2square with background {@code int(255 * image_mean)}. */
    public RgbImage padToSquare(RgbImage image) {
        return ImageGeometry.expandToSquare(image, ImageGeometry.backgroundFromMean(config.imageMean()));
    }

    /** Resizes so the shortest edge equals {@code size.shortest_edge}, with Pillow's bicubic filter. */
    public RgbImage resize(RgbImage image) {
        ImageGeometry.Size target = ImageGeometry.shortestEdgeResize(image.width(), image.height(), config.shortestEdge());
        return PillowBicubicResizer.resize(image, target.width(), target.height());
    }

    public RgbImage centerCrop(RgbImage image) {
        return ImageGeometry.centerCrop(image, config.cropWidth(), config.cropHeight());
    }

    /** Rescale and normalize (as configured) and reorder HWC to CHW. */
    public PixelValues toPixelValues(RgbImage image) {
        int h = image.height();
        int w = image.width();
        int plane = h * w;
        float[] mean = toFloats(config.imageMean());
        float[] std = toFloats(config.imageStd());
        double factor = config.rescaleFactor();
        byte[] src = image.pixels();
        float[] out = new float[RgbImage.CHANNELS * plane];
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < RgbImage.CHANNELS; c++) {
                int u8 = src[p * RgbImage.CHANNELS + c] & 0xFF;
                float v = config.doRescale() ? (float) (u8 * factor) : u8;
                if (config.doNormalize()) {
                    v = (v - mean[c]) / std[c];
                }
                out[c * plane + p] = v;
            }
        }
        return new PixelValues(h, w, out);
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
