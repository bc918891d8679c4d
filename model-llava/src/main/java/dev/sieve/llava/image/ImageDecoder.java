package dev.sieve.llava.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Decodes PNG and JPEG files (anything javax.imageio reads) into {@link RgbImage}, matching
 * PIL's {@code Image.open(path).convert("RGB")}: alpha is dropped rather than composited, gray
 * is copied to all three channels unchanged and palettes are looked up.
 *
 * <p>We read raw raster samples instead of {@code BufferedImage.getRGB}, because getRGB colour-
 * manages: Java's gray colour space is linear, so getRGB would gamma-encode gray PNGs, which PIL
 * does not.
 */
public final class ImageDecoder {
    private ImageDecoder() {}

    public static RgbImage decode(Path file) {
        BufferedImage image;
        try (InputStream in = Files.newInputStream(file)) {
            image = ImageIO.read(in);
        } catch (IOException | RuntimeException e) {
            throw failure(file, reason(e), e);
        }
        if (image == null) {
            throw failure(file, "not a PNG or JPEG image that javax.imageio can read", null);
        }
        try {
            return toRgb(image);
        } catch (RuntimeException e) {
            throw failure(file, reason(e), e);
        }
    }

    /** Converts a decoded image to 8-bit RGB the way PIL's convert("RGB") does. */
    public static RgbImage toRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * RgbImage.CHANNELS];
        ColorModel model = image.getColorModel();
        Raster raster = image.getRaster();
        if (model instanceof IndexColorModel palette) {
            copyPalette(raster, palette, out);
        } else if (isEightBitComponents(model, raster, ColorSpace.TYPE_RGB, 3)) {
            copyBands(raster, new int[] {0, 1, 2}, out);
        } else if (isEightBitComponents(model, raster, ColorSpace.TYPE_GRAY, 1)) {
            copyBands(raster, new int[] {0, 0, 0}, out);
        } else {
            // 16-bit, CMYK and other rare layouts: let Java2D convert to sRGB (may differ from PIL).
            copyArgb(image, out);
        }
        return new RgbImage(w, h, out);
    }

    private static boolean isEightBitComponents(ColorModel model, Raster raster, int colorSpaceType, int colorBands) {
        return model instanceof ComponentColorModel
                && model.getColorSpace().getType() == colorSpaceType
                && model.getNumColorComponents() == colorBands
                && raster.getTransferType() == DataBuffer.TYPE_BYTE;
    }

    private static void copyPalette(Raster raster, IndexColorModel palette, byte[] out) {
        int w = raster.getWidth();
        int[] row = new int[w];
        int i = 0;
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                out[i++] = (byte) palette.getRed(row[x]);
                out[i++] = (byte) palette.getGreen(row[x]);
                out[i++] = (byte) palette.getBlue(row[x]);
            }
        }
    }

    private static void copyBands(Raster raster, int[] bandOfChannel, byte[] out) {
        int w = raster.getWidth();
        int bands = raster.getNumBands();
        int[] row = new int[w * bands];
        int i = 0;
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < RgbImage.CHANNELS; c++) {
                    out[i++] = (byte) row[x * bands + bandOfChannel[c]];
                }
            }
        }
    }

    private static void copyArgb(BufferedImage image, byte[] out) {
        int w = image.getWidth();
        int i = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < w; x++) {
                int argb = image.getRGB(x, y);
                out[i++] = (byte) (argb >> 16);
                out[i++] = (byte) (argb >> 8);
                out[i++] = (byte) argb;
            }
        }
    }

    private static String reason(Throwable e) {
        String message = e.getMessage();
        String text = message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
        return text.replaceAll("\\s+", " ").strip();
    }

    private static ImageDecodeException failure(Path file, String reason, Throwable cause) {
        return new ImageDecodeException("cannot decode image file " + file + ": " + reason, cause);
    }
}
