package dev.sieve.safetensors;

import dev.sieve.safetensors.SafetensorsException.Rule;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code .safetensors} file, memory-mapped once and validated as a whole before any tensor
 * is handed out. Tensors are zero-copy {@link TensorView}s over the mapping; nothing of the data
 * region is read until a caller touches it, so opening costs the header and nothing more, whatever
 * the file size (mappings are not limited to 2 GiB).
 *
 * <p>{@link #close()} unmaps the file (when this object owns its arena); views taken from it
 * become unusable.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final boolean ownsArena;
    private final long headerBytes;
    private final long dataRegionBytes;
    private final Map<String, String> metadata;
    private final Map<String, TensorView> tensors;

    private SafetensorsFile(Path path, Arena arena, boolean ownsArena, long headerBytes, long dataRegionBytes,
                            Map<String, String> metadata, Map<String, TensorView> tensors) {
        this.path = path;
        this.arena = arena;
        this.ownsArena = ownsArena;
        this.headerBytes = headerBytes;
        this.dataRegionBytes = dataRegionBytes;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Opens, maps and validates {@code path}; the mapping lives until {@link #close()}. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            return open(path, arena, true);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Opens {@code path} with its mapping in a caller-owned arena (closing this file then does nothing). */
    public static SafetensorsFile open(Path path, Arena arena) {
        return open(path, arena, false);
    }

    private static SafetensorsFile open(Path path, Arena arena, boolean ownsArena) {
        if (Files.isDirectory(path)) {
            throw new SafetensorsException(path, null, Rule.IO, "is a directory, not a .safetensors file");
        }
        MemorySegment mapping;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(path, null, Rule.HEADER_LENGTH,
                        "the file is " + size + " bytes, too short for the 8-byte header length");
            }
            // One read-only mapping of the whole file; the channel may close, the mapping stays.
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path, null, Rule.NOT_FOUND, "no such file");
        } catch (AccessDeniedException e) {
            throw new SafetensorsException(path, null, Rule.IO, "permission denied");
        } catch (IOException e) {
            throw new SafetensorsException(path, null, Rule.IO, e.getMessage(), e);
        }

        long fileSize = mapping.byteSize();
        long n = mapping.get(TensorView.LE_LONG, 0);
        // n is an unsigned 64-bit count in the format; a negative long is a huge value.
        if (n <= 0 || n > Header.MAX_HEADER_BYTES || n > fileSize - 8) {
            throw new SafetensorsException(path, null, Rule.HEADER_LENGTH, "the header length is "
                    + Long.toUnsignedString(n) + " in a file of " + fileSize + " bytes");
        }
        byte[] headerBytes = mapping.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        long dataStart = 8 + n;
        MemorySegment dataRegion = mapping.asSlice(dataStart);
        Header header = Header.parse(path, headerBytes, dataRegion.byteSize());

        Map<String, TensorView> views = new LinkedHashMap<>();
        List<Header.Entry> byOffset = new ArrayList<>(header.entries());
        byOffset.sort(Comparator.comparingLong(Header.Entry::begin).thenComparingLong(Header.Entry::end));
        for (Header.Entry e : byOffset) {
            MemorySegment slice = dataRegion.asSlice(e.begin(), e.end() - e.begin());
            views.put(e.name(), new TensorView(e.name(), e.dtype(), e.shape(), e.elementCount(), slice, path, dataStart + e.begin()));
        }
        return new SafetensorsFile(path, arena, ownsArena, n, dataRegion.byteSize(), header.metadata(),
                Collections.unmodifiableMap(views));
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} map (empty when the header has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors, in the order they lie in the file. */
    public List<TensorView> tensors() {
        return List.copyOf(tensors.values());
    }

    /** Tensor names, in file order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public Optional<TensorView> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The tensor called {@code name}, or a {@link SafetensorsException} naming the file. */
    public TensorView tensor(String name) {
        TensorView t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(path, name, Rule.NOT_FOUND, "no such tensor in this file");
        }
        return t;
    }

    /** Bytes of the JSON header (without the 8-byte length prefix). */
    public long headerBytes() {
        return headerBytes;
    }

    /** Bytes of tensor data. */
    public long dataBytes() {
        return dataRegionBytes;
    }

    @Override
    public void close() {
        if (ownsArena && arena.scope().isAlive()) {
            arena.close();
        }
    }
}
