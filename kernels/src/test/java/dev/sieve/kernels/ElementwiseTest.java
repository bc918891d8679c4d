package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
    static final int[] EDGE_SIZES = {1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 4096, 4099};
    static final int RANDOM_CASES = 50;

    /** The edge sizes followed by RANDOM_CASES random ones in [1, 5000]. */
    static int[] sizes(Random rnd) {
        return IntStream.concat(IntStream.of(EDGE_SIZES), IntStream.generate(() -> 1 + rnd.nextInt(5000)).limit(RANDOM_CASES))
                .toArray();
    }

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    /** The values in a segment, heap-backed (the array itself) or native (a copy), alternately. */
    static MemorySegment segment(Arena arena, float[] values, boolean nativeMemory) {
        if (!nativeMemory) {
            return MemorySegment.ofArray(values.clone());
        }
        MemorySegment s = arena.allocate(Math.max(4L, values.length * 4L), 4);
        for (int i = 0; i < values.length; i++) {
            s.setAtIndex(Elementwise.F32, i, values[i]);
        }
        return s;
    }

    static float[] floats(MemorySegment s, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = s.getAtIndex(Elementwise.F32, i);
        }
        return v;
    }

    @Test
    void addMulScaleMatchTheReferenceExactly() {
        Random rnd = new Random(11);
        int k = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int n : sizes(rnd)) {
                boolean nat = k++ % 2 == 1;
                float[] a = gaussian(rnd, n, 3);
                float[] b = gaussian(rnd, n, 3);
                float s = (float) rnd.nextGaussian();
                MemorySegment sa = segment(arena, a, nat);
                MemorySegment sb = segment(arena, b, nat);

                MemorySegment out = segment(arena, new float[n], nat);
                MemorySegment ref = segment(arena, new float[n], nat);
                Elementwise.add(sa, sb, out, n);
                ElementwiseReference.add(sa, sb, ref, n);
                assertThat(floats(out, n)).as("add n=%d", n).containsExactly(floats(ref, n));

                Elementwise.mul(sa, sb, out, n);
                ElementwiseReference.mul(sa, sb, ref, n);
                assertThat(floats(out, n)).as("mul n=%d", n).containsExactly(floats(ref, n));

                Elementwise.scale(sa, s, out, n);
                ElementwiseReference.scale(sa, s, ref, n);
                assertThat(floats(out, n)).as("scale n=%d", n).containsExactly(floats(ref, n));
            }
        }
    }

    @Test
    void inPlaceUseAndOnlyNFloatsAreTouched() {
        Random rnd = new Random(12);
        int k = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int n : sizes(rnd)) {
                boolean nat = k++ % 2 == 0;
                float[] a = gaussian(rnd, n + 5, 2);
                float[] b = gaussian(rnd, n + 5, 2);
                float[] expectedAdd = a.clone();
                float[] expectedMul = b.clone();
                for (int i = 0; i < n; i++) {
                    expectedAdd[i] = a[i] + b[i];
                    expectedMul[i] = a[i] * b[i];
                }
                MemorySegment sa = segment(arena, a, nat);
                MemorySegment sb = segment(arena, b, nat);
                Elementwise.add(sa, sb, sa, n); // residual: a += b
                assertThat(floats(sa, n + 5)).as("add in place n=%d", n).containsExactly(expectedAdd);

                sa = segment(arena, a, nat);
                Elementwise.mul(sa, sb, sb, n); // out aliases the second operand
                assertThat(floats(sb, n + 5)).as("mul in place n=%d", n).containsExactly(expectedMul);

                float[] expectedScale = a.clone();
                for (int i = 0; i < n; i++) {
                    expectedScale[i] = a[i] * 0.125f;
                }
                Elementwise.scale(sa, 0.125f, sa, n);
                assertThat(floats(sa, n + 5)).as("scale in place n=%d", n).containsExactly(expectedScale);
            }
        }
    }

    @Test
    void addBiasOverStridedRows() {
        Random rnd = new Random(13);
        int k = 0;
        try (Parallel parallel = Parallel.create(3); Arena arena = Arena.ofShared()) {
            for (int dim : sizes(rnd)) {
                boolean nat = k++ % 2 == 1;
                int rows = k % 5 == 0 ? 1 : 1 + rnd.nextInt(6);
                long stride = dim + (k % 3 == 0 ? 0 : rnd.nextInt(40));
                int total = (int) ((rows - 1) * stride + dim);
                float[] x = gaussian(rnd, total, 1);
                float[] bias = gaussian(rnd, dim + rnd.nextInt(3), 1);
                MemorySegment simd = segment(arena, x, nat);
                MemorySegment ref = segment(arena, x, nat);
                MemorySegment par = segment(arena, x, nat);
                Elementwise.addBias(simd, rows, dim, stride, bias);
                ElementwiseReference.addBias(ref, rows, dim, stride, bias);
                Elementwise.addBias(parallel, par, rows, dim, stride, bias);
                float[] expected = floats(ref, total);
                for (int r = 0; r < rows; r++) { // gaps between rows untouched
                    for (long c = r * stride + dim; c < Math.min(total, (r + 1) * stride); c++) {
                        assertThat(expected[(int) c]).isEqualTo(x[(int) c]);
                    }
                }
                assertThat(floats(simd, total)).as("addBias rows=%d dim=%d stride=%d", rows, dim, stride)
                        .containsExactly(expected);
                assertThat(floats(par, total)).containsExactly(expected);
            }
        }
    }

    @Test
    void rejectsSegmentsThatAreTooShort() {
        MemorySegment small = MemorySegment.ofArray(new float[10]);
        MemorySegment big = MemorySegment.ofArray(new float[20]);
        assertThatThrownBy(() -> Elementwise.add(small, big, big, 11)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Elementwise.addBias(big, 3, 5, 8, new float[5])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Elementwise.addBias(big, 2, 5, 4, new float[5])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Elementwise.addBias(big, 2, 5, 5, new float[4])).isInstanceOf(IllegalArgumentException.class);
        Elementwise.add(small, big, big, 0);
    }
}
