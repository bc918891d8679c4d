package dev.sieve.llava;

import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.Arrays;

/** The committed random-weight example (examples/tiny-llava) and the inputs of its golden case c0: image at row 3 of 10 ids. */
record TinyExample(float[] pixels, int[] ids) {
    static final Path DIR = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize().resolve("examples/tiny-llava");

    static TinyExample golden() {
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(DIR.resolve("golden_c0.safetensors"))) {
            return new TinyExample(g.tensor("pixel_values").toFloatArray(),
                    Arrays.stream(g.tensor("input_ids").toLongArray()).mapToInt(Math::toIntExact).toArray());
        }
    }
}
