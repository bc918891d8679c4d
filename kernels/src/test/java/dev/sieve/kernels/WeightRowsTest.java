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

    @Test
    void convertToRoundsToNearestEvenAndQuantizes() {
        try (Arena arena = Arena.ofShared()) {
            float tie = 1f + 0x1p-8f; // halfway between two bf16 values: ties go to the even one (1.0)
            float[] values = {1f, -2.5f, tie, Math.nextUp(tie), 65504f, 1e-7f, Float.NaN};
            MemorySegment f32 = MemorySegment.ofArray(values.clone());
            WeightMatrix source = WeightMatrix.dense(WeightType.F32, 1, values.length, f32);
            WeightMatrix bf16 = source.convertTo(WeightType.BF16, arena);
            WeightMatrix f16 = source.convertTo(WeightType.F16, arena);
            assertThat(bf16.get(0, 2)).isEqualTo(1f);
            assertThat(bf16.get(0, 3)).isEqualTo(1f + 0x1p-7f);
            assertThat(bf16.get(0, 6)).isNaN();
            for (int i = 0; i < values.length; i++) {
                assertThat(Float.floatToRawIntBits(f16.get(0, i)))
                        .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat(Float.floatToFloat16(values[i]))));
            }
            WeightMatrix q8 = source.convertTo(WeightType.Q8_0, arena);
            assertThat(q8.type()).isEqualTo(WeightType.Q8_0);
            assertThat(source.convertTo(WeightType.F32, arena).get(0, 1)).isEqualTo(-2.5f);
        }
    }
}
