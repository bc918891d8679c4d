package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

    /**
     * An F16 copy holds every half's value times 2^10 exactly when all halves are finite and
     * below 64: all 43,008 such halves, zeros and subnormals included, read back (get and widen)
     * with their original value's bits. One half of 64 or more, or an infinity, leaves the copy
     * unlifted with the same bits.
     */
    @Test
    void f16CopiesAreLiftedExactlyOrNotAtAll() {
        short[] liftable = new short[2 * 0x5400];
        for (int h = 0; h < 0x5400; h++) {
            liftable[2 * h] = (short) h;
            liftable[2 * h + 1] = (short) (h | 0x8000);
        }
        int cols = 96;
        int rows = liftable.length / cols;
        try (Arena arena = Arena.ofShared(); Parallel two = Parallel.create(2)) {
            MemorySegment data = arena.allocate(2L * rows * cols);
            MemorySegment.copy(liftable, 0, data, WeightMatrix.I16_LE, 0, rows * cols);
            WeightMatrix source = WeightMatrix.dense(WeightType.F16, rows, cols, data);
            WeightMatrix copy = WeightConversion.copy(source, arena, two);
            assertThat(copy.f16ScaleLog2()).isEqualTo(WeightMatrix.F16_LIFT);
            assertThat(copy.toString()).contains("lifted");
            float[] widened = new float[cols];
            for (int i = 0; i < rows; i++) {
                WeightRows.widen(copy, i, 0, cols, widened, 0);
                for (int j = 0; j < cols; j++) {
                    int expected = Float.floatToRawIntBits(Float.float16ToFloat(liftable[i * cols + j]));
                    assertThat(Float.floatToRawIntBits(copy.get(i, j))).as("get of half %04x", liftable[i * cols + j]).isEqualTo(expected);
                    assertThat(Float.floatToRawIntBits(widened[j])).as("widen of half %04x", liftable[i * cols + j]).isEqualTo(expected);
                }
            }
            // A copy of a lifted copy stays lifted, with the same values.
            WeightMatrix again = WeightConversion.copy(copy, arena, Parallel.serial());
            assertThat(again.f16ScaleLog2()).isEqualTo(WeightMatrix.F16_LIFT);
            assertThat(Float.floatToRawIntBits(again.get(rows - 1, cols - 1))).isEqualTo(Float.floatToRawIntBits(copy.get(rows - 1, cols - 1)));

            for (short blocker : new short[] {0x5400, (short) 0xd400, 0x7bff, 0x7c00, (short) 0xfe00}) {
                data.set(WeightMatrix.I16_LE, 2L * (rows * cols - 1), blocker);
                WeightMatrix unlifted = WeightConversion.copy(source, arena, two);
                assertThat(unlifted.f16ScaleLog2()).as("half %04x", blocker).isZero();
                for (long e = 0; e < (long) rows * cols; e++) {
                    assertThat(unlifted.data().get(WeightMatrix.I16_LE, 2 * e)).isEqualTo(data.get(WeightMatrix.I16_LE, 2 * e));
                }
            }
        }
    }

    /** Conversion to F16 rounds to the nearest half first, then lifts: the values are those of the plain rounding. */
    @Test
    void f16ConversionLiftsTheRoundedHalves() {
        Random r = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            int rows = 37;
            int cols = 75;
            MemorySegment f = arena.allocate(4L * rows * cols);
            for (long i = 0; i < (long) rows * cols; i++) {
                // Gaussian of std 1e-4: many values round to subnormal halves.
                f.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) (r.nextGaussian() * 1e-4));
            }
            WeightMatrix f32 = WeightMatrix.dense(WeightType.F32, rows, cols, f);
            WeightMatrix f16 = WeightConversion.convert(f32, WeightType.F16, arena, Parallel.serial());
            assertThat(f16.f16ScaleLog2()).isEqualTo(WeightMatrix.F16_LIFT);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    float rounded = Float.float16ToFloat(Float.floatToFloat16(f32.get(i, j)));
                    assertThat(Float.floatToRawIntBits(f16.get(i, j))).isEqualTo(Float.floatToRawIntBits(rounded));
                }
            }
        }
    }
}
