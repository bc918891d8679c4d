package dev.sieve.cli.bench;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The STREAM triad, vectorised, as the bandwidth yardstick for memory-bound kernels. */
final class Streams {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Streams() {}

    /** a[i] = b[i] + s * c[i] for i in [from, from + count); count a multiple of 16. */
    static void triad(MemorySegment a, MemorySegment b, MemorySegment c, float s, long from, long count) {
        for (long i = from * 4, end = (from + count) * 4; i < end; i += F.vectorByteSize()) {
            FloatVector.fromMemorySegment(F, c, i, LE).fma(FloatVector.broadcast(F, s), FloatVector.fromMemorySegment(F, b, i, LE)).intoMemorySegment(a, i, LE);
        }
    }
}
