package dev.sieve.llava.api;

import dev.sieve.llava.image.PixelValues;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An image for a request: a PNG or JPEG file, its encoded bytes, a decoded {@link BufferedImage}, or one
 * {@link Sieve#prepare prepared} once and asked about many times (preprocessing skipped).
 */
public sealed interface SieveImage {
    static SieveImage of(Path file) {
        return new File(Objects.requireNonNull(file, "file"));
    }

    /** Encoded PNG or JPEG bytes (e.g. from a data URI); the array is not copied, so do not change it. */
    static SieveImage of(byte[] encoded) {
        return new Encoded(Objects.requireNonNull(encoded, "encoded"));
    }

    static SieveImage of(BufferedImage image) {
        return new Decoded(Objects.requireNonNull(image, "image"));
    }

    record File(Path path) implements SieveImage {}

    record Encoded(byte[] bytes) implements SieveImage {}

    record Decoded(BufferedImage image) implements SieveImage {}

    /** Pixel values as the model sees them (from {@link Sieve#prepare}); {@link Sieve#seen} draws them. */
    record Prepared(PixelValues pixels) implements SieveImage {}
}
