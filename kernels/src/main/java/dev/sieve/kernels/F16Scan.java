package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Whether a run of F16 values holds no infinity or NaN (exponent field all ones). */
final class F16Scan {
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final short MAGNITUDE = 0x7fff;
    private static final short INFINITY = 0x7c00;

    private F16Scan() {}

    /** True when every complete half in {@code data} is finite (a trailing odd byte is ignored). */
    static boolean allFinite(MemorySegment data) {
        long halves = data.byteSize() / 2;
        long vectorEnd = halves - halves % S.length();
        // The largest magnitude seen: a half is infinite or NaN exactly when its magnitude bits are >= 0x7c00.
        ShortVector largest = ShortVector.zero(S);
        for (long i = 0; i < vectorEnd; i += S.length()) {
            largest = largest.max(ShortVector.fromMemorySegment(S, data, 2 * i, ByteOrder.LITTLE_ENDIAN).and(MAGNITUDE));
        }
        short max = largest.reduceLanes(VectorOperators.MAX);
        for (long i = vectorEnd; i < halves; i++) {
            max = (short) Math.max(max, data.get(WeightMatrix.I16_LE, 2 * i) & MAGNITUDE);
        }
        return max < INFINITY;
    }

    /** Scalar twin of {@link #allFinite}. */
    static boolean allFiniteReference(MemorySegment data) {
        for (long i = 0; i + 1 < data.byteSize(); i += 2) {
            if (!Float.isFinite(Float.float16ToFloat(data.get(WeightMatrix.I16_LE, i)))) {
                return false;
            }
        }
        return true;
    }
}
