package dev.sieve.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the fuzz tests hold the loader to: given any bytes, it either opens them (and every view
 * it hands out is readable end to end) or throws {@link SafetensorsException}. Any other
 * exception escapes and fails the test.
 */
final class LoaderContract {
    private LoaderContract() {}

    static Path scratchDir() {
        try {
            Path dir = Files.createTempDirectory("sieve-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens {@code bytes} as a file; returns true when it opened. */
    static boolean openFile(Path scratch, byte[] bytes) {
        Path file = HandMade.write(scratch, "fuzz.safetensors", bytes);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            f.tensors().forEach(LoaderContract::touch);
            return true;
        } catch (SafetensorsException expected) {
            return false;
        }
    }

    /** Opens a directory with a fixed valid shard and {@code indexBytes} as its index. */
    static boolean openIndex(Path scratch, byte[] indexBytes) {
        Path shard = scratch.resolve("shard.safetensors");
        if (!Files.exists(shard)) {
            try {
                Files.createDirectories(scratch);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            SafetensorsWriter.to(shard)
                    .addFloats("a", DType.F32, new long[] {2}, new float[] {1, 2})
                    .addLongs("b", DType.I64, new long[] {1}, new long[] {3})
                    .write();
        }
        HandMade.write(scratch, SafetensorsCheckpoint.INDEX_FILE, indexBytes);
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(scratch)) {
            c.tensors().forEach(LoaderContract::touch);
            return true;
        } catch (SafetensorsException expected) {
            return false;
        }
    }

    private static void touch(TensorView t) {
        if (t.byteSize() > 0) {
            t.data().get(ValueLayout.JAVA_BYTE, 0);
            t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
        }
        if (t.elementCount() > 0) {
            if (t.dtype().widensToFloat()) {
                t.getFloat(t.elementCount() - 1);
            } else if (t.dtype().isIntegral()) {
                t.getLong(t.elementCount() - 1);
            }
        }
    }
}
