package dev.sieve.llava.image;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.TensorView;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates shared/fixtures/preprocess (skipping when absent) and turns golden tensors into images. */
final class PreprocessGoldens {
    static final String GOLDEN_FILE = "preprocess_golden.safetensors";

    private PreprocessGoldens() {}

    static Path dir() {
        String shared = System.getProperty("sieve.shared.dir", System.getenv().getOrDefault("SIEVE_SHARED_DIR", "../shared"));
        Path dir = Path.of(shared, "fixtures", "preprocess").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(dir.resolve(GOLDEN_FILE)),
                "skipped: preprocessing goldens not found at " + dir + " (set -Dsieve.shared.dir)");
        return dir;
    }

    static SafetensorsCheckpoint open() {
        return SafetensorsCheckpoint.open(dir().resolve(GOLDEN_FILE));
    }

    /** A U8 [h, w, 3] tensor as an image. */
    static RgbImage image(TensorView t) {
        long[] shape = t.shape();
        if (shape.length != 3 || shape[2] != 3) {
            throw new IllegalArgumentException(t.name() + " is not [h, w, 3]");
        }
        byte[] pixels = new byte[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) t.getLong(i);
        }
        return new RgbImage((int) shape[1], (int) shape[0], pixels);
    }
}
