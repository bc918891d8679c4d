package dev.sieve.llava;

import java.lang.foreign.MemorySegment;

/** Heap float buffers seen as segments, the form the kernels take. */
final class Buffers {
    private Buffers() {}

    static MemorySegment seg(float[] a) {
        return MemorySegment.ofArray(a);
    }

    /** Row {@code row} onward of a row-major buffer of {@code width}-float rows. */
    static MemorySegment rows(float[] a, int row, int width) {
        return MemorySegment.ofArray(a).asSlice((long) row * width * 4);
    }
}
