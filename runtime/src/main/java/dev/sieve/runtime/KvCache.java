package dev.sieve.runtime;

import dev.sieve.safetensors.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Keys and values of every decoder layer, F32 rows of {@code kvHeads * headDim} floats in native
 * memory owned by the cache. Row t of a layer is token t of the sequence that layer has seen.
 *
 * <p>Each layer keeps its own length: after an in-loop pruning point the later layers receive (or
 * are compacted to) fewer tokens than the earlier ones. Not thread-safe for writes; reads of
 * {@link #keys}/{@link #values} from kernel threads are fine between writes (the arena is shared).
 */
public final class KvCache implements AutoCloseable {
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final long rowBytes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] keys;
    private final MemorySegment[] values;
    private final int[] lengths;
    private final int[] positionOffsets;

    /**
     * Allocates {@code 2 * layers * capacity * kvHeads * headDim} floats up front, so decoding never
     * allocates and an over-large capacity fails at once rather than mid-generation.
     */
    public KvCache(int layers, int kvHeads, int headDim, int capacity) {
        if (layers < 1 || kvHeads < 1 || headDim < 1 || capacity < 0) {
            throw new IllegalArgumentException("bad KV cache geometry layers=" + layers + " kvHeads=" + kvHeads
                    + " headDim=" + headDim + " capacity=" + capacity);
        }
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
        this.rowBytes = (long) kvHeads * headDim * Float.BYTES;
        this.keys = new MemorySegment[layers];
        this.values = new MemorySegment[layers];
        this.lengths = new int[layers];
        this.positionOffsets = new int[layers];
        try {
            for (int l = 0; l < layers; l++) {
                keys[l] = arena.allocate(Math.max(64, rowBytes * capacity), 64);
                values[l] = arena.allocate(Math.max(64, rowBytes * capacity), 64);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    public int layers() {
        return layers;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDim() {
        return headDim;
    }

    /** Floats per row: {@code kvHeads * headDim}; also the row stride of {@link #keys}/{@link #values}. */
    public int rowFloats() {
        return kvHeads * headDim;
    }

    public int capacity() {
        return capacity;
    }

    /** Rows currently held by {@code layer}. */
    public int length(int layer) {
        return lengths[checkLayer(layer)];
    }

    /**
     * Copies {@code count} rows of keys and of values (each {@code count * rowFloats()} contiguous
     * native-order floats at the start of the segments) after the layer's current rows.
     */
    public void append(int layer, MemorySegment kRows, MemorySegment vRows, int count) {
        long bytes = checkedCount(count) * rowBytes;
        if (kRows.byteSize() < bytes || vRows.byteSize() < bytes) {
            throw new IllegalArgumentException("append of " + count + " rows of " + rowFloats() + " floats needs " + bytes
                    + " bytes, got keys " + kRows.byteSize() + " and values " + vRows.byteSize());
        }
        int start = extend(layer, count);
        MemorySegment.copy(kRows, 0, keys[layer], start * rowBytes, bytes);
        MemorySegment.copy(vRows, 0, values[layer], start * rowBytes, bytes);
    }

    /**
     * Grows the layer by {@code count} rows without writing them and returns the first new row, so
     * a kernel can write keys and values straight into {@link #keys}/{@link #values} (no copy).
     */
    public int extend(int layer, int count) {
        int l = checkLayer(layer);
        checkedCount(count);
        if ((long) lengths[l] + count > capacity) {
            throw new IllegalStateException("KV cache layer " + l + " holds " + lengths[l] + " rows; " + count
                    + " more exceed its capacity " + capacity);
        }
        int start = lengths[l];
        lengths[l] += count;
        return start;
    }

    /** The layer's keys, {@code length(layer) * rowFloats()} floats, writable, valid until close. */
    public MemorySegment keys(int layer) {
        return keys[checkLayer(layer)].asSlice(0, lengths[layer] * rowBytes);
    }

    /** The layer's values, laid out like {@link #keys}. */
    public MemorySegment values(int layer) {
        return values[checkLayer(layer)].asSlice(0, lengths[layer] * rowBytes);
    }

    /** The layer's keys as an F32 tensor {@code [length, kvHeads * headDim]}. */
    public Tensor keyTensor(int layer) {
        return Tensor.wrap(keys(layer), DType.F32, lengths[layer], rowFloats());
    }

    /** The layer's values as an F32 tensor {@code [length, kvHeads * headDim]}. */
    public Tensor valueTensor(int layer) {
        return Tensor.wrap(values(layer), DType.F32, lengths[layer], rowFloats());
    }

    /**
     * Keeps only rows {@code keep[0], keep[1], ...} of the layer, in that order, moved down in place.
     * The indices must be strictly increasing and below the layer's length, which makes the forward
     * in-place move safe (row keep[i] >= i is never overwritten before it is read).
     */
    public void compact(int layer, int[] keep) {
        int l = checkLayer(layer);
        int previous = -1;
        for (int i = 0; i < keep.length; i++) {
            if (keep[i] <= previous || keep[i] >= lengths[l]) {
                throw new IllegalArgumentException("compact of KV cache layer " + l + " (length " + lengths[l]
                        + "): index " + keep[i] + " at position " + i + " is not strictly increasing and below the length");
            }
            previous = keep[i];
        }
        for (int i = 0; i < keep.length; i++) {
            if (keep[i] != i) {
                MemorySegment.copy(keys[l], keep[i] * rowBytes, keys[l], i * rowBytes, rowBytes);
                MemorySegment.copy(values[l], keep[i] * rowBytes, values[l], i * rowBytes, rowBytes);
            }
        }
        lengths[l] = keep.length;
    }

    /** Drops the layer's rows from {@code newLength} on (e.g. to undo a speculative step). */
    public void truncate(int layer, int newLength) {
        int l = checkLayer(layer);
        if (newLength < 0 || newLength > lengths[l]) {
            throw new IllegalArgumentException("truncate of KV cache layer " + l + " to " + newLength + " outside [0, " + lengths[l] + "]");
        }
        lengths[l] = newLength;
    }

    /**
     * How far the layer's next position id lies beyond its length: 0 when its cached rows were
     * numbered 0..length-1; after pruning that kept original ids (gaps), the next id continues the
     * unpruned prompt, so the offset is the number of rows the layer did not cache.
     */
    public int positionOffset(int layer) {
        return positionOffsets[checkLayer(layer)];
    }

    /** The position id of the layer's next row: its length plus {@link #positionOffset}. */
    public int nextPosition(int layer) {
        int l = checkLayer(layer);
        return lengths[l] + positionOffsets[l];
    }

    public void setPositionOffset(int layer, int offset) {
        positionOffsets[checkLayer(layer)] = offset;
    }

    /** Empties every layer (memory is kept for the next sequence). */
    public void clear() {
        java.util.Arrays.fill(lengths, 0);
        java.util.Arrays.fill(positionOffsets, 0);
    }

    /** Frees the memory; segments obtained from {@link #keys}/{@link #values} become unusable. */
    @Override
    public void close() {
        arena.close();
    }

    private int checkLayer(int layer) {
        if (layer < 0 || layer >= layers) {
            throw new IndexOutOfBoundsException("layer " + layer + " of a " + layers + "-layer KV cache");
        }
        return layer;
    }

    private static long checkedCount(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("negative row count " + count);
        }
        return count;
    }
}
