package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightConversionTest {
    /** Every source and target type, odd shapes: the same bytes on 1 and 3 threads, and each value the target's rounding of the source's. */
    @Test
    void parallelConversionIsTheDefinitionOnAnyThreadCount() {
        Random r = new Random(9);
        try (Arena arena = Arena.ofShared(); Parallel three = Parallel.create(3)) {
            for (WeightType from : new WeightType[] {WeightType.F32, WeightType.F16, WeightType.BF16}) {
                for (WeightType to : WeightType.values()) {
                    int rows = 1 + r.nextInt(70);
                    int cols = 1 + r.nextInt(100);
                    WeightMatrix source = RandomWeights.weight(r, from, rows, cols, cols + r.nextInt(3), arena);
                    WeightMatrix one = WeightConversion.convert(source, to, arena, Parallel.serial());
                    WeightMatrix many = WeightConversion.convert(source, to, arena, three);
                    assertThat(many.data().toArray(ValueLayout.JAVA_BYTE)).as(from + "->" + to).containsExactly(one.data().toArray(ValueLayout.JAVA_BYTE));
                    if (to == WeightType.Q8_0) {
                        assertThat(many.scales().toArray(ValueLayout.JAVA_BYTE)).containsExactly(one.scales().toArray(ValueLayout.JAVA_BYTE));
                    }
                    for (int i = 0; i < rows; i++) {
                        float blockMax = 0;
                        for (int j = 0; j < cols; j++) {
                            if (j % WeightMatrix.Q8_BLOCK == 0) {
                                blockMax = 0;
                                for (int jj = j; jj < Math.min(cols, j + WeightMatrix.Q8_BLOCK); jj++) {
                                    blockMax = Math.max(blockMax, Math.abs(source.get(i, jj)));
                                }
                            }
                            float v = source.get(i, j);
                            float got = many.get(i, j);
                            switch (to) {
                                case F32 -> assertThat(got).isEqualTo(v);
                                case F16 -> assertThat(got).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(v)));
                                case BF16 -> assertThat(Math.abs(got - v)).isLessThanOrEqualTo(Math.abs(v) * 0x1p-8f);
                                // Half a quantization step (scale / 2 = max / 254), plus rounding of the scale itself.
                                case Q8_0 -> assertThat((double) Math.abs(got - v)).isLessThanOrEqualTo(blockMax / 254.0 * 1.0001 + 1e-30);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Every type, odd shapes and row strides: the copy holds each element's bits (and Q8_0's scales) on 1 and 3 threads. */
    @Test
    void copyKeepsEveryElementsBits() {
        Random r = new Random(11);
        try (Arena arena = Arena.ofShared(); Parallel three = Parallel.create(3)) {
            for (WeightType type : WeightType.values()) {
                int rows = 1 + r.nextInt(70);
                int cols = 1 + r.nextInt(100);
                WeightMatrix dense = RandomWeights.weight(r, type == WeightType.Q8_0 ? WeightType.F32 : type, rows, cols, cols + r.nextInt(3), arena);
                WeightMatrix source = type == WeightType.Q8_0 ? WeightConversion.convert(dense, type, arena, Parallel.serial()) : dense;
                for (Parallel parallel : new Parallel[] {Parallel.serial(), three}) {
                    WeightMatrix copy = WeightConversion.copy(source, arena, parallel);
                    assertThat(copy.type()).isEqualTo(type);
                    assertThat(copy.rows()).isEqualTo(rows);
                    assertThat(copy.cols()).isEqualTo(cols);
                    assertThat(copy.data().address()).isNotEqualTo(source.data().address());
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            assertThat(Float.floatToRawIntBits(copy.get(i, j))).as("%s (%d, %d)", type, i, j)
                                    .isEqualTo(Float.floatToRawIntBits(source.get(i, j)));
                        }
                    }
                }
            }
        }
    }
}
