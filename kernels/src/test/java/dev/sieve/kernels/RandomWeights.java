package dev.sieve.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random activations and weights of every storage type, for the property tests. */
final class RandomWeights {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {}

    static MemorySegment floats(Random r, long count) {
        MemorySegment s = MemorySegment.ofArray(new float[(int) Math.max(1, count)]);
        for (long i = 0; i < count; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        }
        return s;
    }

    /** A rows x cols weight of the given type (row stride >= cols for dense types). */
    static WeightMatrix weight(Random r, WeightType type, int rows, int cols, int rowStride, Arena arena) {
        if (type == WeightType.Q8_0) {
            return WeightMatrix.quantizeQ8_0(weight(r, WeightType.F32, rows, cols, cols, arena), arena);
        }
        int bytes = type == WeightType.F32 ? 4 : 2;
        MemorySegment data = arena.allocate(Math.max(1, (long) rows * rowStride * bytes));
        for (long i = 0; i < (long) rows * rowStride; i++) {
            float v = (float) r.nextGaussian();
            switch (type) {
                case F32 -> data.set(F32, i * 4, v);
                case F16 -> data.set(I16, i * 2, Float.floatToFloat16(v));
                case BF16 -> data.set(I16, i * 2, (short) (Float.floatToRawIntBits(v) >>> 16));
                default -> throw new AssertionError();
            }
        }
        return new WeightMatrix(type, rows, cols, rowStride, data, null);
    }

    static float[] bias(Random r, int n) {
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            b[i] = (float) r.nextGaussian();
        }
        return b;
    }
}
