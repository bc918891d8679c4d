package dev.sieve.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, so tests can break exactly one rule at a time. */
final class HandMade {
    private HandMade() {}

    /** Length prefix + the header as given (no padding) + {@code dataBytes} zero bytes. */
    static byte[] file(String headerJson, int dataBytes) {
        return file(headerJson.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    static byte[] file(byte[] header, int dataBytes) {
        return ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).array();
    }

    /** Just a length prefix claiming {@code headerLength}, followed by {@code rest}. */
    static byte[] withLengthPrefix(long headerLength, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).put(rest).array();
    }

    static Path write(Path dir, String name, byte[] content) {
        try {
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
