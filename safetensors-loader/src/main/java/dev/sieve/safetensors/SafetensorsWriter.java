package dev.sieve.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.safetensors.SafetensorsException.Rule;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one {@code .safetensors} file: tensors are laid out by decreasing element size (then by
 * name), so every tensor starts at a multiple of its own element size without any padding between
 * tensors (which the format forbids); the header is padded with spaces so the data region starts
 * on an 8-byte boundary. Together: every tensor is naturally aligned in the file and in a mapping.
 *
 * <p>The file is written to a temporary sibling and moved into place, so a failed write never
 * leaves a half-written file under the target name.
 */
public final class SafetensorsWriter {
    private record Pending(String name, DType dtype, long[] shape, MemorySegment bytes) {}

    private final Path target;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Pending> tensors = new LinkedHashMap<>();

    private SafetensorsWriter(Path target) {
        this.target = target;
    }

    /** A writer for {@code target}; nothing touches the disk until {@link #write()}. */
    public static SafetensorsWriter to(Path target) {
        return new SafetensorsWriter(target);
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor whose little-endian bytes are {@code bytes} (not copied: the segment must stay
     * readable until {@link #write()}).
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, MemorySegment bytes) {
        if (name.equals(Header.METADATA_KEY)) {
            throw fail(name, "the name " + Header.METADATA_KEY + " is reserved");
        }
        if (tensors.containsKey(name)) {
            throw fail(name, "added twice");
        }
        long elements = 1;
        try {
            for (long d : shape) {
                if (d < 0) {
                    throw fail(name, "negative dimension " + d);
                }
                elements = Math.multiplyExact(elements, d);
            }
            if (Math.multiplyExact(elements, (long) dtype.byteSize()) != bytes.byteSize()) {
                throw fail(name, bytes.byteSize() + " bytes given for " + elements + " elements of " + dtype);
            }
        } catch (ArithmeticException e) {
            throw fail(name, "the shape's byte size overflows 64 bits");
        }
        tensors.put(name, new Pending(name, dtype, shape.clone(), bytes));
        return this;
    }

    /** Adds a tensor from raw little-endian bytes (copied). */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, byte[] bytes) {
        return add(name, dtype, shape, MemorySegment.ofArray(bytes.clone()));
    }

    /** Adds a floating-point tensor (F64, F32, F16 or BF16), converting from float (round to nearest even). */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> buf.putFloat(v);
                case F64 -> buf.putDouble(v);
                case F16 -> buf.putShort(HalfFloats.floatToF16(v));
                case BF16 -> buf.putShort(HalfFloats.floatToBf16(v));
                default -> throw fail(name, "addFloats cannot write dtype " + dtype);
            }
        }
        return add(name, dtype, shape, MemorySegment.ofArray(buf.array()));
    }

    /** Adds an integer or BOOL tensor, keeping the low bytes of each value. */
    public SafetensorsWriter addLongs(String name, DType dtype, long[] shape, long[] values) {
        if (!dtype.isIntegral()) {
            throw fail(name, "addLongs cannot write dtype " + dtype);
        }
        ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (dtype.byteSize()) {
                case 8 -> buf.putLong(v);
                case 4 -> buf.putInt((int) v);
                case 2 -> buf.putShort((short) v);
                default -> buf.put((byte) v);
            }
        }
        return add(name, dtype, shape, MemorySegment.ofArray(buf.array()));
    }

    /** Writes the file (atomically replacing {@code target}) and returns its path. */
    public Path write() {
        List<Pending> layout = new ArrayList<>(tensors.values());
        layout.sort(Comparator.comparingInt((Pending p) -> -p.dtype().byteSize()).thenComparing(Pending::name));
        byte[] header = headerJson(layout);

        Path directory = target.toAbsolutePath().getParent();
        Path temp = null;
        try {
            Files.createDirectories(directory);
            temp = Files.createTempFile(directory, "." + target.getFileName(), ".partial");
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
                writeFully(out, ByteBuffer.wrap(header));
                for (Pending p : layout) {
                    writeSegment(out, p.bytes());
                }
                out.force(false);
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new SafetensorsException(target, null, Rule.IO, "cannot write: " + e, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The move succeeded (nothing to delete) or the directory is gone.
                }
            }
        }
    }

    private byte[] headerJson(List<Pending> layout) {
        ObjectNode root = Json.STRICT.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(Header.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Pending p : layout) {
            ObjectNode entry = root.putObject(p.name());
            entry.put("dtype", p.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : p.shape()) {
                shape.add(d);
            }
            long end = offset + p.bytes().byteSize();
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = Json.STRICT.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(target, null, Rule.WRITE, "cannot encode the header: " + e.getOriginalMessage(), e);
        }
        // Pad with spaces (valid JSON whitespace) so that 8 + header length is a multiple of 8.
        int padded = (json.length + 7) & ~7;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    private static void writeSegment(FileChannel out, MemorySegment bytes) throws IOException {
        final long chunk = 1L << 26; // ByteBuffers are int-indexed; stream larger tensors in pieces.
        for (long pos = 0; pos < bytes.byteSize(); pos += chunk) {
            long len = Math.min(chunk, bytes.byteSize() - pos);
            MemorySegment piece = bytes.asSlice(pos, len);
            if (piece.isNative() || piece.isMapped()) {
                writeFully(out, piece.asByteBuffer());
            } else {
                writeFully(out, ByteBuffer.wrap(piece.toArray(ValueLayout.JAVA_BYTE)));
            }
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    private SafetensorsException fail(String tensor, String detail) {
        return new SafetensorsException(target, tensor, Rule.WRITE, detail);
    }
}
