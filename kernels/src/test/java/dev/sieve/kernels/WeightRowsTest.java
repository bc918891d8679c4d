package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WeightRowsTest {
    @Test
    void vectorF16WideningIsBitExactForAll65536Patterns() {
        MemorySegment all = MemorySegment.ofArray(new short[65536]);
        for (int i = 0; i < 65536; i++) {
            all.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, (short) i);
        }
        WeightMatrix w = WeightMatrix.dense(WeightType.F16, 1, 65536, all);
        float[] out = new float[65536];
        WeightRows.widen(w, 0, 0, 65536, out, 0);
        for (int i = 0; i < 65536; i++) {
            int expected = Float.floatToRawIntBits(Float.float16ToFloat((short) i));
            if (Float.floatToRawIntBits(out[i]) != expected) {
                throw new AssertionError(String.format("f16 0x%04x -> 0x%08x, expected 0x%08x", i, Float.floatToRawIntBits(out[i]), expected));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WeightType.class)
    void widenMatchesTheScalarTwinAtAnyOffsetAndLength(WeightType type) {
        Random r = new Random(type.ordinal());
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.weight(r, type, 3, 133, 133, arena);
            for (int trial = 0; trial < 200; trial++) {
                int row = r.nextInt(3);
                int col = type == WeightType.Q8_0 && r.nextBoolean() ? 32 * r.nextInt(4) : r.nextInt(133);
                int len = r.nextInt(133 - col + 1);
                float[] expected = new float[len + 2];
                float[] actual = new float[len + 2];
                WeightRows.widenReference(w, row, col, len, expected, 1);
                WeightRows.widen(w, row, col, len, actual, 1);
                assertThat(actual).as("%s row %d col %d len %d", type, row, col, len).containsExactly(expected);
            }
        }
    }
}
