package dev.sieve.llava.api;

import dev.sieve.llava.image.ImageDecoder;
import dev.sieve.llava.image.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes request images within limits. The size check comes first, then the header: the width and height
 * an {@link ImageReader} reads from it are checked before a raster is allocated, so a small file that
 * declares 24000 x 24000 pixels (a decompression bomb) costs nothing.
 */
final class Images {
    private final long maxBytes;
    private final long maxPixels;

    Images(long maxBytes, long maxPixels) {
        this.maxBytes = maxBytes;
        this.maxPixels = maxPixels;
    }

    RgbImage decode(SieveImage image) {
        return switch (image) {
            case SieveImage.File f -> decode(read(f.path()), "image " + f.path());
            case SieveImage.Encoded e -> decode(e.bytes(), "image");
            case SieveImage.Decoded d -> {
                checkPixels((long) d.image().getWidth() * d.image().getHeight(), d.image().getWidth(), d.image().getHeight(), "image");
                yield ImageDecoder.toRgb(d.image());
            }
            case SieveImage.Prepared p -> throw new IllegalStateException("prepared images are not decoded again");
        };
    }

    private byte[] read(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw SieveException.invalid("image", "image " + file + ": no such file");
            }
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new SieveException(SieveException.Kind.TOO_LARGE, "image", "image " + file + ": " + size + " bytes; the limit is "
                        + maxBytes);
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw SieveException.invalid("image", "image " + file + ": cannot read: " + oneLine(e));
        }
    }

    private RgbImage decode(byte[] bytes, String what) {
        if (bytes.length > maxBytes) {
            throw new SieveException(SieveException.Kind.TOO_LARGE, "image", what + ": " + bytes.length + " bytes; the limit is " + maxBytes);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw SieveException.invalid("image", what + ": cannot decode: not a PNG or JPEG image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                checkPixels((long) w * h, w, h, what);
                BufferedImage decoded = reader.read(0);
                return ImageDecoder.toRgb(decoded);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof SieveException s) {
                throw s;
            }
            throw SieveException.invalid("image", what + ": cannot decode: " + oneLine(e));
        }
    }

    private void checkPixels(long pixels, int w, int h, String what) {
        if (w < 1 || h < 1) {
            throw SieveException.invalid("image", what + ": " + w + " x " + h + " pixels; an image needs at least one");
        }
        if (pixels > maxPixels) {
            throw new SieveException(SieveException.Kind.TOO_LARGE, "image", what + ": " + w + " x " + h + " pixels; the limit is "
                    + maxPixels + " pixels");
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replaceAll("\\s+", " ").strip();
    }
}
