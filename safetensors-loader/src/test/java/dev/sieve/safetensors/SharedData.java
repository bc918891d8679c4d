package dev.sieve.safetensors;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where ../shared lives (set by the build as sieve.shared.dir); tests that need it skip when it is absent. */
final class SharedData {
    private SharedData() {}

    static Path fixturesDir() {
        String configured = System.getProperty("sieve.shared.dir", System.getenv().getOrDefault("SIEVE_SHARED_DIR", "../shared"));
        Path dir = Path.of(configured, "fixtures").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(dir.resolve("manifest.json")),
                "skipped: golden fixtures not found at " + dir + " (set -Dsieve.shared.dir or SIEVE_SHARED_DIR)");
        return dir;
    }
}
