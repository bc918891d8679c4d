package dev.sieve.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;

/**
 * Jazzer fuzz targets. Under {@code mvn verify} they run in regression mode over the committed
 * seed corpus in {@code src/test/resources/dev/sieve/safetensors/SafetensorsFuzzTestInputs/}
 * (each seed is one test; a per-seed time limit comes from junit-platform.properties). To fuzz for
 * real: {@code JAZZER_FUZZ=1 mvn -pl safetensors-loader test -Dtest=SafetensorsFuzzTest#openAnyFile}.
 */
class SafetensorsFuzzTest {
    private static final Path SCRATCH = LoaderContract.scratchDir();

    @FuzzTest
    void openAnyFile(byte[] data) {
        LoaderContract.openFile(SCRATCH, data);
    }

    @FuzzTest
    void openAnyIndex(byte[] data) {
        LoaderContract.openIndex(SCRATCH.resolve("index-dir-" + Thread.currentThread().threadId()).toAbsolutePath(), data);
    }
}
