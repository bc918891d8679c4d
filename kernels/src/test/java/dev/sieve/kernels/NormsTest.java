package dev.sieve.kernels;

import static dev.sieve.kernels.ElementwiseTest.floats;
import static dev.sieve.kernels.ElementwiseTest.gaussian;
import static dev.sieve.kernels.ElementwiseTest.segment;
import static dev.sieve.kernels.ElementwiseTest.sizes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NormsTest {
    private static final double REL = 1e-5;
    private static final double ABS = 1e-5;

    /** One random case: rows, dim, strides and data with a per-row offset and scale. */
    private record Case(int rows, int dim, long inStride, long outStride, float[] x, float[] w, float[] b, float eps) {
        int inTotal() {
            return (int) ((rows - 1) * inStride + dim);
        }

        int outTotal() {
            return (int) ((rows - 1) * outStride + dim);
        }
    }

    private static Case randomCase(Random rnd, int dim, int k) {
        int rows = k % 4 == 0 ? 1 : 1 + rnd.nextInt(5);
        long inStride = dim + (k % 3 == 0 ? 0 : rnd.nextInt(20));
        long outStride = dim + (k % 5 == 0 ? 0 : rnd.nextInt(20));
        float[] x = new float[(int) ((rows - 1) * inStride + dim)];
        for (int r = 0; r < rows; r++) {
            double offset = rnd.nextGaussian() * 2;
            double scale = Math.exp(rnd.nextGaussian());
            for (int c = 0; c < x.length - r * inStride && c < inStride; c++) {
                x[(int) (r * inStride + c)] = (float) (offset + scale * rnd.nextGaussian());
            }
        }
        float[] w = gaussian(rnd, dim + rnd.nextInt(3), 1);
        float[] b = gaussian(rnd, dim + rnd.nextInt(3), 1);
        float eps = rnd.nextBoolean() ? 1e-5f : 1e-6f;
        return new Case(rows, dim, inStride, outStride, x, w, b, eps);
    }

    private static void assertRowsClose(float[] actual, float[] expected, Case c, String what) {
        for (int r = 0; r < c.rows(); r++) {
            for (int i = 0; i < c.dim(); i++) {
                int at = (int) (r * c.outStride() + i);
                double tol = ABS + REL * Math.abs(expected[at]);
                assertThat((double) actual[at]).as("%s rows=%d dim=%d row %d col %d", what, c.rows(), c.dim(), r, i)
                        .isCloseTo(expected[at], within(tol));
            }
        }
    }

    interface NormCall {
        void run(Parallel parallel, MemorySegment in, Case c, MemorySegment out, long outStride);
    }

    private static void check(String name, NormCall simd, NormCall reference, long seed) {
        Random rnd = new Random(seed);
        int k = 0;
        try (Parallel parallel = Parallel.create(3); Arena arena = Arena.ofShared()) {
            for (int dim : sizes(rnd)) {
                boolean nat = k % 2 == 1;
                Case c = randomCase(rnd, dim, k++);
                float[] sentinel = new float[c.outTotal()];
                java.util.Arrays.fill(sentinel, 42f);
                MemorySegment in = segment(arena, c.x(), nat);
                MemorySegment ref = segment(arena, sentinel, nat);
                MemorySegment out = segment(arena, sentinel, nat);
                MemorySegment par = segment(arena, sentinel, nat);
                reference.run(null, in, c, ref, c.outStride());
                simd.run(null, in, c, out, c.outStride());
                simd.run(parallel, in, c, par, c.outStride());
                float[] expected = floats(ref, c.outTotal());
                float[] actual = floats(out, c.outTotal());
                assertRowsClose(actual, expected, c, name);
                assertThat(floats(par, c.outTotal())).as("parallel equals serial").containsExactly(actual);
                for (int i = 0; i < actual.length; i++) { // gaps between output rows untouched
                    if (i % c.outStride() >= c.dim()) {
                        assertThat(actual[i]).isEqualTo(42f);
                    }
                }
                assertThat(floats(in, c.inTotal())).as("input untouched").containsExactly(c.x());
                // in place, out aliases in with the same stride
                simd.run(null, in, c, in, c.inStride());
                Case inPlace = new Case(c.rows(), c.dim(), c.inStride(), c.inStride(), c.x(), c.w(), c.b(), c.eps());
                MemorySegment refIn = segment(arena, c.x(), nat);
                reference.run(null, refIn, c, refIn, c.inStride());
                assertRowsClose(floats(in, c.inTotal()), floats(refIn, c.inTotal()), inPlace, name + " in place");
            }
        }
    }

    @Test
    void layerNormMatchesReference() {
        check("layerNorm",
                (p, in, c, out, os) -> {
                    if (p == null) {
                        Norms.layerNorm(in, c.rows(), c.dim(), c.inStride(), c.w(), c.b(), c.eps(), out, os);
                    } else {
                        Norms.layerNorm(p, in, c.rows(), c.dim(), c.inStride(), c.w(), c.b(), c.eps(), out, os);
                    }
                },
                (p, in, c, out, os) -> NormsReference.layerNorm(in, c.rows(), c.dim(), c.inStride(), c.w(), c.b(), c.eps(), out, os),
                31);
    }

    @Test
    void rmsNormMatchesReference() {
        check("rmsNorm",
                (p, in, c, out, os) -> {
                    if (p == null) {
                        Norms.rmsNorm(in, c.rows(), c.dim(), c.inStride(), c.w(), c.eps(), out, os);
                    } else {
                        Norms.rmsNorm(p, in, c.rows(), c.dim(), c.inStride(), c.w(), c.eps(), out, os);
                    }
                },
                (p, in, c, out, os) -> NormsReference.rmsNorm(in, c.rows(), c.dim(), c.inStride(), c.w(), c.eps(), out, os),
                32);
    }

    @Test
    void handComputedSmallCases() {
        float[] x = {1f, 2f, 3f, 4f};
        float[] out = new float[4];
        // layer norm: mean 2.5, biased variance 1.25
        Norms.layerNorm(MemorySegment.ofArray(x), 1, 4, 4, new float[] {1f, 1f, 2f, 1f}, new float[] {0f, 0f, 0f, 1f}, 0f,
                MemorySegment.ofArray(out), 4);
        double s = Math.sqrt(1.25);
        assertThat((double) out[0]).isCloseTo(-1.5 / s, within(1e-6));
        assertThat((double) out[1]).isCloseTo(-0.5 / s, within(1e-6));
        assertThat((double) out[2]).isCloseTo(2 * 0.5 / s, within(1e-6));
        assertThat((double) out[3]).isCloseTo(1.5 / s + 1, within(1e-6));
        // rms norm: mean square 7.5
        Norms.rmsNorm(MemorySegment.ofArray(x), 1, 4, 4, new float[] {1f, 1f, 1f, 0.5f}, 1e-6f, MemorySegment.ofArray(out), 4);
        double r = 1 / Math.sqrt(7.5 + 1e-6);
        assertThat((double) out[0]).isCloseTo(1 * r, within(1e-6));
        assertThat((double) out[3]).isCloseTo(0.5 * 4 * r, within(1e-6));
        // a constant row normalises to the bias
        float[] constant = new float[37];
        java.util.Arrays.fill(constant, 3.25f);
        float[] bias = gaussian(new Random(3), 37, 1);
        float[] y = new float[37];
        Norms.layerNorm(MemorySegment.ofArray(constant), 1, 37, 37, gaussian(new Random(4), 37, 1), bias, 1e-5f,
                MemorySegment.ofArray(y), 37);
        assertThat(y).containsExactly(bias);
    }
}
