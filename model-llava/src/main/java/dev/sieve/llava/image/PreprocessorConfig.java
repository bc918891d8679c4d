package dev.sieve.llava.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sieve.llava.JsonMessages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The fields of a Hugging Face {@code preprocessor_config.json} (CLIPImageProcessor) that the
 * pipeline uses. Absent fields take CLIPImageProcessor's defaults, so a minimal config behaves as
 * it would in transformers.
 */
public record PreprocessorConfig(
        boolean doResize,
        int shortestEdge,
        int resample,
        boolean doCenterCrop,
        int cropHeight,
        int cropWidth,
        boolean doRescale,
        double rescaleFactor,
        boolean doNormalize,
        double[] imageMean,
        double[] imageStd,
        boolean doConvertRgb) {

    /** PIL's Image.BICUBIC, the only resampling filter implemented. */
    public static final int PIL_BICUBIC = 3;
    public static final double[] OPENAI_CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    public static final double[] OPENAI_CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    public PreprocessorConfig {
        if (resample != PIL_BICUBIC) {
            throw new IllegalArgumentException("unsupported resample " + resample
                    + " in preprocessor config: only " + PIL_BICUBIC + " (PIL BICUBIC) is implemented");
        }
        if (shortestEdge <= 0 || cropHeight <= 0 || cropWidth <= 0) {
            throw new IllegalArgumentException("preprocessor sizes must be positive: shortest_edge=" + shortestEdge
                    + ", crop_size=" + cropHeight + "x" + cropWidth);
        }
        if (imageMean.length != RgbImage.CHANNELS || imageStd.length != RgbImage.CHANNELS) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values, got "
                    + Arrays.toString(imageMean) + " and " + Arrays.toString(imageStd));
        }
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    /** The llava-1.5 / CLIP ViT-L/14-336 settings, with {@code size} as both shortest edge and square crop. */
    public static PreprocessorConfig clip(int size) {
        return new PreprocessorConfig(true, size, PIL_BICUBIC, true, size, size, true, 1.0 / 255, true,
                OPENAI_CLIP_MEAN, OPENAI_CLIP_STD, true);
    }

    /** Reads {@code preprocessor_config.json}; errors name the file. */
    public static PreprocessorConfig read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + JsonMessages.oneLine(e), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static PreprocessorConfig parse(String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        int shortestEdge = shortestEdge(root.get("size"));
        JsonNode crop = root.get("crop_size");
        int cropHeight = 224;
        int cropWidth = 224;
        if (crop != null && crop.isInt()) {
            // Old configs give one number for a square crop.
            cropHeight = cropWidth = crop.intValue();
        } else if (crop != null && crop.isObject()) {
            cropHeight = requiredInt(crop, "height", "crop_size");
            cropWidth = requiredInt(crop, "width", "crop_size");
        } else if (crop != null && !crop.isNull()) {
            throw new IllegalArgumentException("crop_size must be a number or {height, width}, got " + crop);
        }
        return new PreprocessorConfig(
                bool(root, "do_resize", true),
                shortestEdge,
                root.path("resample").asInt(PIL_BICUBIC),
                bool(root, "do_center_crop", true),
                cropHeight,
                cropWidth,
                bool(root, "do_rescale", true),
                root.path("rescale_factor").asDouble(1.0 / 255),
                bool(root, "do_normalize", true),
                triple(root, "image_mean", OPENAI_CLIP_MEAN),
                triple(root, "image_std", OPENAI_CLIP_STD),
                bool(root, "do_convert_rgb", true));
    }

    private static int shortestEdge(JsonNode size) {
        if (size == null || size.isNull()) {
            return 224;
        }
        if (size.isInt()) {
            // CLIPImageProcessor reads a bare number as the shortest edge (default_to_square=False).
            return size.intValue();
        }
        if (size.isObject() && size.has("shortest_edge")) {
            return requiredInt(size, "shortest_edge", "size");
        }
        throw new IllegalArgumentException("size must give shortest_edge (the only resize mode implemented), got " + size);
    }

    private static int requiredInt(JsonNode parent, String field, String where) {
        JsonNode v = parent.get(field);
        if (v == null || !v.isInt()) {
            throw new IllegalArgumentException(where + "." + field + " must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static boolean bool(JsonNode root, String field, boolean fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    private static double[] triple(JsonNode root, String field, double[] fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isArray() || v.size() != RgbImage.CHANNELS) {
            throw new IllegalArgumentException(field + " must be a list of 3 numbers, got " + v);
        }
        double[] out = new double[RgbImage.CHANNELS];
        for (int c = 0; c < out.length; c++) {
            if (!v.get(c).isNumber()) {
                throw new IllegalArgumentException(field + " must be a list of 3 numbers, got " + v);
            }
            out[c] = v.get(c).doubleValue();
        }
        return out;
    }

    @Override
    public double[] imageMean() {
        return imageMean.clone();
    }

    @Override
    public double[] imageStd() {
        return imageStd.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreprocessorConfig p && doResize == p.doResize && shortestEdge == p.shortestEdge
                && resample == p.resample && doCenterCrop == p.doCenterCrop && cropHeight == p.cropHeight
                && cropWidth == p.cropWidth && doRescale == p.doRescale
                && Double.compare(rescaleFactor, p.rescaleFactor) == 0 && doNormalize == p.doNormalize
                && Arrays.equals(imageMean, p.imageMean) && Arrays.equals(imageStd, p.imageStd)
                && doConvertRgb == p.doConvertRgb;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {doResize, shortestEdge, resample, doCenterCrop, cropHeight, cropWidth,
                doRescale, rescaleFactor, doNormalize, Arrays.hashCode(imageMean), Arrays.hashCode(imageStd),
                doConvertRgb});
    }

    @Override
    public String toString() {
        return "PreprocessorConfig[shortest_edge=" + shortestEdge + ", crop=" + cropHeight + "x" + cropWidth
                + ", resample=" + resample + ", do_resize=" + doResize + ", do_center_crop=" + doCenterCrop
                + ", do_rescale=" + doRescale + ", rescale_factor=" + rescaleFactor + ", do_normalize=" + doNormalize
                + ", image_mean=" + Arrays.toString(imageMean) + ", image_std=" + Arrays.toString(imageStd) + "]";
    }
}
