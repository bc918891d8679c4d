package dev.sieve.kernels;

import static dev.sieve.kernels.ElementwiseTest.floats;
import static dev.sieve.kernels.ElementwiseTest.gaussian;
import static dev.sieve.kernels.ElementwiseTest.segment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RopeTest {
    private static final int[] HEAD_DIMS = {2, 4, 6, 8, 16, 30, 32, 34, 62, 64, 66, 80, 96, 128, 256};

    @Test
    void inverseFrequenciesFollowTorchFloat32Roundings() {
        assertThat(Rope.inverseFrequencies(4, 10000)).containsExactly(1f, 0.01f);
        float[] inv = Rope.inverseFrequencies(128, 10000);
        assertThat(inv).hasSize(64).containsExactly(RopeReference.inverseFrequencies(128, 10000));
        for (int i = 0; i < 64; i++) {
            double exact = Math.pow(10000, -(2.0 * i) / 128);
            assertThat((double) inv[i]).isCloseTo(exact, within(exact * 3e-7));
        }
        // strictly decreasing, first is 1
        assertThat(inv[0]).isEqualTo(1f);
        for (int i = 1; i < 64; i++) {
            assertThat(inv[i]).isLessThan(inv[i - 1]);
        }
        assertThatThrownBy(() -> Rope.inverseFrequencies(5, 10000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void handComputedHeadDim4Position3() {
        float[] x = {1f, 2f, 3f, 4f};
        Rope.Table table = Rope.Table.of(Rope.inverseFrequencies(4, 10000), new int[] {3});
        Rope.apply(MemorySegment.ofArray(x), 1, 1, 4, 4, table);
        // inv_freq = [1, 10000^-0.5] = [1, 0.01]; angles [3, 0.03]
        double c0 = Math.cos(3);
        double s0 = Math.sin(3);
        double c1 = Math.cos(0.03);
        double s1 = Math.sin(0.03);
        double[] expected = {
                1 * c0 - 3 * s0, // x0 cos0 + (-x2) sin0
                2 * c1 - 4 * s1, // x1 cos1 + (-x3) sin1
                3 * c0 + 1 * s0, // x2 cos0 + x0 sin0
                4 * c1 + 2 * s1, // x3 cos1 + x1 sin1
        };
        for (int j = 0; j < 4; j++) {
            assertThat((double) x[j]).as("x[%d]", j).isCloseTo(expected[j], within(2e-6));
        }
        float[] y = {1f, 2f, 3f, 4f};
        RopeReference.apply(MemorySegment.ofArray(y), 1, 1, 4, 4, new int[] {3}, 10000);
        assertThat(y).containsExactly(x);
    }

    @Test
    void positionZeroIsTheIdentity() {
        Random rnd = new Random(51);
        for (int headDim : HEAD_DIMS) {
            int heads = 1 + rnd.nextInt(4);
            float[] x = gaussian(rnd, heads * headDim, 2);
            float[] y = x.clone();
            Rope.apply(MemorySegment.ofArray(y), 1, heads, headDim, heads * headDim,
                    Rope.Table.of(Rope.inverseFrequencies(headDim, 10000), new int[] {0}));
            assertThat(y).containsExactly(x);
        }
    }

    @Test
    void rotationPreservesPairNorms() {
        Random rnd = new Random(52);
        int headDim = 128;
        float[] x = gaussian(rnd, headDim, 1);
        float[] y = x.clone();
        Rope.apply(MemorySegment.ofArray(y), 1, 1, headDim, headDim,
                Rope.Table.of(Rope.inverseFrequencies(headDim, 10000), new int[] {4321}));
        for (int j = 0; j < 64; j++) {
            double before = Math.hypot(x[j], x[j + 64]);
            double after = Math.hypot(y[j], y[j + 64]);
            assertThat(after).isCloseTo(before, within(1e-5 * (1 + before)));
        }
    }

    @Test
    void matchesReferenceOnRandomShapesAndPositions() {
        Random rnd = new Random(53);
        try (Parallel parallel = Parallel.create(3); Arena arena = Arena.ofShared()) {
            for (int k = 0; k < 50 + HEAD_DIMS.length; k++) {
                boolean nat = k % 2 == 1;
                int headDim = k < HEAD_DIMS.length ? HEAD_DIMS[k] : 2 * (1 + rnd.nextInt(100));
                int heads = 1 + rnd.nextInt(5);
                int rows = k % 4 == 0 ? 1 : 1 + rnd.nextInt(9);
                long rowStride = (long) heads * headDim + (k % 3 == 0 ? 0 : rnd.nextInt(40));
                double theta = k % 5 == 0 ? 500000 : 10000;
                int[] positions = new int[rows];
                for (int r = 0; r < rows; r++) { // gaps, repeats, non-monotonic (pruned tokens)
                    positions[r] = switch (k % 3) {
                        case 0 -> r * 3 + (r % 2) * 7;
                        case 1 -> rnd.nextInt(5000);
                        default -> rows - r + rnd.nextInt(100_000);
                    };
                }
                int total = (int) ((rows - 1) * rowStride + (long) heads * headDim);
                float[] x = gaussian(rnd, total, 2);
                float[] inv = Rope.inverseFrequencies(headDim, theta);

                MemorySegment ref = segment(arena, x, nat);
                RopeReference.apply(ref, rows, heads, headDim, rowStride, positions, theta);
                float[] expected = floats(ref, total);

                MemorySegment simd = segment(arena, x, nat);
                Rope.apply(simd, rows, heads, headDim, rowStride, Rope.Table.of(inv, positions));
                assertThat(floats(simd, total)).as("headDim=%d heads=%d rows=%d stride=%d", headDim, heads, rows, rowStride)
                        .containsExactly(expected);

                // a reused, larger table with the rows at an offset, applied in parallel
                int[] padded = new int[rows + 3];
                padded[0] = 17;
                padded[1] = 99;
                padded[2] = 5;
                System.arraycopy(positions, 0, padded, 3, rows);
                Rope.Table table = new Rope.Table(inv);
                table.fill(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, 13);
                table.fill(padded, padded.length);
                assertThat(table.size()).isEqualTo(rows + 3);
                MemorySegment par = segment(arena, x, nat);
                Rope.apply(parallel, par, rows, heads, headDim, rowStride, table, 3);
                assertThat(floats(par, total)).containsExactly(expected);

                // gaps between rows untouched
                for (int i = 0; i < total; i++) {
                    if (i % rowStride >= (long) heads * headDim) {
                        assertThat(expected[i]).isEqualTo(x[i]);
                    }
                }
            }
        }
    }

    @Test
    void rejectsMismatchedGeometry() {
        Rope.Table table = Rope.Table.of(Rope.inverseFrequencies(8, 10000), new int[] {0, 1});
        MemorySegment x = MemorySegment.ofArray(new float[64]);
        assertThatThrownBy(() -> Rope.apply(x, 1, 1, 16, 16, table)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rope.apply(x, 3, 1, 8, 8, table)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rope.apply(x, 2, 1, 8, 8, table, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rope.apply(x, 2, 5, 8, 40, table)).isInstanceOf(IllegalArgumentException.class);
        Rope.apply(x, 1, 1, 8, 8, table, 1);
    }
}
