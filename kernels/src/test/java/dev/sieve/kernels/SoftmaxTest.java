package dev.sieve.kernels;

import static dev.sieve.kernels.ElementwiseTest.floats;
import static dev.sieve.kernels.ElementwiseTest.segment;
import static dev.sieve.kernels.ElementwiseTest.sizes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
    private static final double REL = 1e-5;
    private static final double ABS = 1e-8;

    private static float[] scores(Random rnd, int rows, int n, long stride, int k) {
        float[] x = new float[(int) ((rows - 1) * stride + n)];
        for (int r = 0; r < rows; r++) {
            double scale = switch (k % 4) {
                case 0 -> 1;
                case 1 -> 10;
                case 2 -> 0.01;
                default -> 100;
            };
            double offset = k % 3 == 0 ? 1e4 : rnd.nextGaussian() * 5; // large offsets must not overflow exp
            for (int c = 0; c < stride && r * stride + c < x.length; c++) {
                x[(int) (r * stride + c)] = (float) (offset + scale * rnd.nextGaussian());
            }
            if (k % 5 == 0 && n > 1) { // masked (causal) entries
                for (int c = 1 + rnd.nextInt(n - 1); c < n; c++) {
                    x[(int) (r * stride + c)] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        return x;
    }

    @Test
    void matchesReferenceOnRandomShapes() {
        Random rnd = new Random(41);
        int k = 0;
        try (Parallel parallel = Parallel.create(3); Arena arena = Arena.ofShared()) {
            for (int n : sizes(rnd)) {
                boolean nat = k % 2 == 0;
                int rows = k % 4 == 0 ? 1 : 1 + rnd.nextInt(6);
                long stride = n + (k % 3 == 1 ? 0 : rnd.nextInt(30));
                float[] x = scores(rnd, rows, n, stride, k++);
                int total = x.length;
                MemorySegment simd = segment(arena, x, nat);
                MemorySegment ref = segment(arena, x, nat);
                MemorySegment par = segment(arena, x, nat);
                Softmax.softmax(simd, rows, n, stride);
                SoftmaxReference.softmax(ref, rows, n, stride);
                Softmax.softmax(parallel, par, rows, n, stride);
                float[] actual = floats(simd, total);
                float[] expected = floats(ref, total);
                assertThat(floats(par, total)).containsExactly(actual);
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    for (int c = 0; c < stride && r * stride + c < total; c++) {
                        int at = (int) (r * stride + c);
                        if (c >= n) {
                            assertThat(actual[at]).as("gap untouched").isEqualTo(x[at]);
                            continue;
                        }
                        double tol = ABS + REL * Math.abs(expected[at]);
                        assertThat((double) actual[at]).as("rows=%d n=%d stride=%d at (%d, %d)", rows, n, stride, r, c)
                                .isCloseTo(expected[at], within(tol));
                        assertThat(actual[at]).isBetween(0f, 1f);
                        sum += actual[at];
                    }
                    assertThat(sum).isCloseTo(1.0, within(1e-5));
                }
            }
        }
    }

    @Test
    void handComputedAndDegenerateRows() {
        float[] x = {1f, 2f, 3f, 0f, 0f, Float.NEGATIVE_INFINITY};
        Softmax.softmax(MemorySegment.ofArray(x), 2, 3, 3);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertThat((double) x[0]).isCloseTo(Math.exp(1) / z, within(1e-7));
        assertThat((double) x[1]).isCloseTo(Math.exp(2) / z, within(1e-7));
        assertThat((double) x[2]).isCloseTo(Math.exp(3) / z, within(1e-7));
        assertThat(x[3]).isEqualTo(0.5f);
        assertThat(x[4]).isEqualTo(0.5f);
        assertThat(x[5]).isEqualTo(0f);
        float[] one = {-123.5f};
        Softmax.softmax(MemorySegment.ofArray(one), 1, 1, 1);
        assertThat(one[0]).isEqualTo(1f);
        float[] uniform = new float[33];
        java.util.Arrays.fill(uniform, 7f);
        Softmax.softmax(MemorySegment.ofArray(uniform), 1, 33, 33);
        for (float v : uniform) {
            assertThat((double) v).isCloseTo(1.0 / 33, within(1e-8));
        }
        Softmax.softmax(MemorySegment.ofArray(new float[0]), 0, 5, 5);
    }
}
