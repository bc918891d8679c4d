package dev.sieve.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sieve.safetensors.SafetensorsException.Rule;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A model checkpoint: one {@code .safetensors} file, or a directory holding either
 * {@code model.safetensors} or a sharded set described by {@code model.safetensors.index.json}
 * (the layout Hugging Face's {@code save_pretrained} writes). Every file is mapped once, all in
 * one arena that {@link #close()} releases.
 *
 * <p>For a sharded checkpoint the tensors are exactly those the index's {@code weight_map} names
 * (as transformers loads them); each must be in the shard the index names, and the index may
 * only name files inside the checkpoint directory.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path source;
    private final Arena arena;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorView> tensors;
    private final Map<String, String> metadata;
    private final Map<String, String> indexMetadata;
    private final boolean sharded;

    private SafetensorsCheckpoint(Path source, Arena arena, List<SafetensorsFile> files, Map<String, TensorView> tensors,
                                  Map<String, String> metadata, Map<String, String> indexMetadata, boolean sharded) {
        this.source = source;
        this.arena = arena;
        this.files = files;
        this.tensors = tensors;
        this.metadata = metadata;
        this.indexMetadata = indexMetadata;
        this.sharded = sharded;
    }

    /**
     * Opens a {@code .safetensors} file, a {@code *.safetensors.index.json} file, or a checkpoint
     * directory (index first, then {@code model.safetensors}, then a directory's only
     * {@code .safetensors} file).
     */
    public static SafetensorsCheckpoint open(Path fileOrDirectory) {
        Path target = resolve(fileOrDirectory);
        Arena arena = Arena.ofShared();
        try {
            if (target.getFileName().toString().endsWith(".index.json")) {
                return openSharded(fileOrDirectory, target, arena);
            }
            SafetensorsFile file = SafetensorsFile.open(target, arena);
            Map<String, TensorView> views = new LinkedHashMap<>();
            file.tensors().forEach(t -> views.put(t.name(), t));
            return new SafetensorsCheckpoint(fileOrDirectory, arena, List.of(file), Collections.unmodifiableMap(views),
                    file.metadata(), Map.of(), false);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Path resolve(Path given) {
        if (!Files.exists(given)) {
            throw new SafetensorsException(given, null, Rule.NOT_FOUND, "no such file or directory");
        }
        if (!Files.isDirectory(given)) {
            return given;
        }
        Path index = given.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return index;
        }
        Path single = given.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return single;
        }
        List<Path> candidates;
        try (Stream<Path> list = Files.list(given)) {
            candidates = list.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                    .filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new SafetensorsException(given, null, Rule.IO, e.getMessage(), e);
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        throw new SafetensorsException(given, null, Rule.NOT_FOUND, candidates.isEmpty()
                ? "the directory has no " + INDEX_FILE + ", no " + SINGLE_FILE + " and no other .safetensors file"
                : "the directory has no " + INDEX_FILE + " or " + SINGLE_FILE + " and " + candidates.size()
                        + " .safetensors files; name one");
    }

    private static SafetensorsCheckpoint openSharded(Path source, Path index, Arena arena) {
        JsonNode root;
        try {
            root = Json.STRICT.readTree(Files.readString(index));
        } catch (JacksonException e) {
            throw new SafetensorsException(index, null, Rule.INDEX_FORMAT, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(index, null, Rule.NOT_FOUND, "no such file");
        } catch (IOException e) {
            throw new SafetensorsException(index, null, Rule.IO, e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (root == null || !root.isObject() || weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsException(index, null, Rule.INDEX_FORMAT, "no weight_map object");
        }
        Path directory = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, TensorView> views = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> kv = it.next();
            String tensorName = kv.getKey();
            if (!kv.getValue().isTextual()) {
                throw new SafetensorsException(index, tensorName, Rule.INDEX_FORMAT, "weight_map value " + kv.getValue() + " is not a file name");
            }
            String shardName = kv.getValue().textValue();
            SafetensorsFile shard = shards.get(shardName);
            if (shard == null) {
                shard = SafetensorsFile.open(shardInside(index, directory, tensorName, shardName), arena);
                shards.put(shardName, shard);
            }
            views.put(tensorName, shard.find(tensorName).orElseThrow(() -> new SafetensorsException(index, tensorName,
                    Rule.INDEX_MISMATCH, "the index puts it in " + shardName + ", which does not hold it")));
        }
        checkEachTensorInOneShard(index, shards, views);

        Map<String, String> metadata = new LinkedHashMap<>();
        shards.values().forEach(f -> f.metadata().forEach(metadata::putIfAbsent));
        Map<String, String> indexMetadata = new LinkedHashMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null && meta.isObject()) {
            meta.fields().forEachRemaining(kv -> indexMetadata.put(kv.getKey(),
                    kv.getValue().isTextual() ? kv.getValue().textValue() : kv.getValue().toString()));
        }
        return new SafetensorsCheckpoint(source, arena, List.copyOf(shards.values()), Collections.unmodifiableMap(views),
                Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(indexMetadata), true);
    }

    /** Resolves a shard name from an index, refusing anything that leaves the checkpoint directory. */
    private static Path shardInside(Path index, Path directory, String tensorName, String shardName) {
        Path relative;
        try {
            relative = Path.of(shardName);
        } catch (RuntimeException e) {
            throw new SafetensorsException(index, tensorName, Rule.INDEX_PATH, "shard \"" + shardName + "\" is not a valid path");
        }
        Path resolved = directory.resolve(relative).normalize();
        if (shardName.isEmpty() || relative.isAbsolute() || !resolved.startsWith(directory.normalize())
                || resolved.equals(directory.normalize())) {
            throw new SafetensorsException(index, tensorName, Rule.INDEX_PATH, "shard \"" + shardName + "\" is outside " + directory);
        }
        if (Files.exists(resolved)) {
            try {
                // Symbolic links must not lead out of the directory either.
                if (!resolved.toRealPath().startsWith(directory.toRealPath())) {
                    throw new SafetensorsException(index, tensorName, Rule.INDEX_PATH,
                            "shard \"" + shardName + "\" links outside " + directory);
                }
            } catch (IOException e) {
                throw new SafetensorsException(resolved, null, Rule.IO, e.getMessage(), e);
            }
        }
        return resolved;
    }

    private static void checkEachTensorInOneShard(Path index, Map<String, SafetensorsFile> shards, Map<String, TensorView> views) {
        for (SafetensorsFile shard : shards.values()) {
            for (TensorView t : shard.tensors()) {
                TensorView chosen = views.get(t.name());
                if (chosen != null && !chosen.file().equals(t.file())) {
                    throw new SafetensorsException(index, t.name(), Rule.INDEX_MISMATCH,
                            "it is in both " + chosen.file().getFileName() + " and " + t.file().getFileName());
                }
            }
        }
    }

    /** What was opened: the file, index or directory given to {@link #open(Path)}. */
    public Path source() {
        return source;
    }

    /** The mapped files (one, or each shard once). */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    /** True when the checkpoint was opened through an index file. */
    public boolean isSharded() {
        return sharded;
    }

    /** All tensors: in file order for one file, in index order for a sharded checkpoint. */
    public List<TensorView> tensors() {
        return List.copyOf(tensors.values());
    }

    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public Optional<TensorView> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The tensor called {@code name}, or a {@link SafetensorsException} naming the checkpoint. */
    public TensorView tensor(String name) {
        TensorView t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(source, name, Rule.NOT_FOUND, "no such tensor in this checkpoint");
        }
        return t;
    }

    /** {@code __metadata__} of the file, or of all shards merged (the first shard wins a conflict). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The index's {@code metadata} object (e.g. {@code total_size}), values as text; empty for one file. */
    public Map<String, String> indexMetadata() {
        return indexMetadata;
    }

    /** Total bytes of tensor data exposed. */
    public long dataBytes() {
        return tensors.values().stream().mapToLong(TensorView::byteSize).sum();
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
