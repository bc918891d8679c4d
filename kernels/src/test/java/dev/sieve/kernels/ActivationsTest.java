package dev.sieve.kernels;

import static dev.sieve.kernels.ElementwiseTest.floats;
import static dev.sieve.kernels.ElementwiseTest.gaussian;
import static dev.sieve.kernels.ElementwiseTest.segment;
import static dev.sieve.kernels.ElementwiseTest.sizes;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ActivationsTest {
    private static final double REL = 1e-5;
    private static final double ABS = 1e-7;

    /** The reference comparisons below test the vector form; the scalar form is held to it bit for bit. */
    @BeforeEach
    void vectorForm() {
        ColdStart.force(false);
    }

    interface Unary {
        void apply(MemorySegment in, MemorySegment out, int n);
    }

    static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertThat(actual[i]).as("%s [%d]", what, i).isNaN();
                continue;
            }
            double tol = ABS + REL * Math.abs(expected[i]);
            assertThat((double) actual[i]).as("%s [%d] of %d", what, i, actual.length)
                    .isBetween(expected[i] - tol, expected[i] + tol);
        }
    }

    /** Gaussian values with a sprinkling of extremes and exact zeros. */
    static float[] inputs(Random rnd, int n) {
        float[] v = gaussian(rnd, n, 4);
        float[] extremes = {0f, -0f, 20f, -20f, 90f, -90f, 1e-20f, -1e-20f, 1f, -1f, 1.4142135f, -1.4142135f, 1e4f, -1e4f};
        for (int i = 0; i < n / 7; i++) {
            v[rnd.nextInt(n)] = extremes[rnd.nextInt(extremes.length)];
        }
        return v;
    }

    private static void checkUnary(String name, Unary simd, Unary ref, long seed) {
        Random rnd = new Random(seed);
        int k = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int n : sizes(rnd)) {
                boolean nat = k++ % 2 == 0;
                float[] x = inputs(rnd, n);
                MemorySegment in = segment(arena, x, nat);
                MemorySegment out = segment(arena, new float[n], nat);
                MemorySegment expected = segment(arena, new float[n], nat);
                ref.apply(in, expected, n);
                simd.apply(in, out, n);
                float[] want = floats(expected, n);
                assertClose(floats(out, n), want, name + " n=" + n);
                assertThat(floats(in, n)).containsExactly(x);
                // in place
                simd.apply(in, in, n);
                assertClose(floats(in, n), want, name + " in place n=" + n);
            }
        }
    }

    @Test
    void siluMatchesReference() {
        checkUnary("silu", Activations::silu, ActivationsReference::silu, 21);
    }

    @Test
    void quickGeluMatchesReference() {
        checkUnary("quickGelu", Activations::quickGelu, ActivationsReference::quickGelu, 22);
    }

    @Test
    void geluErfMatchesReference() {
        checkUnary("geluErf", Activations::geluErf, ActivationsReference::geluErf, 23);
    }

    @Test
    void geluErfDenseSweep() {
        int n = 400_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -12f + 24f * i / (n - 1);
        }
        float[] out = new float[n];
        float[] want = new float[n];
        Activations.geluErf(MemorySegment.ofArray(x), MemorySegment.ofArray(out), n);
        ActivationsReference.geluErf(MemorySegment.ofArray(x), MemorySegment.ofArray(want), n);
        assertClose(out, want, "gelu sweep");
        for (int i = 0; i < n; i += 97) {
            assertThat((double) Activations.geluErf(x[i])).isCloseTo(want[i], org.assertj.core.api.Assertions.within(ABS + REL * Math.abs(want[i])));
        }
    }

    @Test
    void knownValues() {
        float[] x = {0f, 1f, -1f, 2f, -3f};
        float[] gelu = new float[x.length];
        float[] silu = new float[x.length];
        Activations.geluErf(MemorySegment.ofArray(x), MemorySegment.ofArray(gelu), x.length);
        Activations.silu(MemorySegment.ofArray(x), MemorySegment.ofArray(silu), x.length);
        // 0.5 x (1 + erf(x / sqrt 2)) and x / (1 + exp(-x)) in double (Python math)
        double[] torchGelu = {0.0, 0.8413447460685429, -0.15865525393145707, 1.9544997361036416, -0.00404969409489031};
        double[] torchSilu = {0.0, 0.7310585786300049, -0.2689414213699951, 1.7615941559557646, -0.14227761953270035};
        for (int i = 0; i < x.length; i++) {
            assertThat((double) gelu[i]).isCloseTo(torchGelu[i], org.assertj.core.api.Assertions.within(2e-7));
            assertThat((double) silu[i]).isCloseTo(torchSilu[i], org.assertj.core.api.Assertions.within(2e-7));
        }
        float[] nan = {Float.NaN};
        Activations.geluErf(MemorySegment.ofArray(nan), MemorySegment.ofArray(nan), 1);
        assertThat(nan[0]).isNaN();
    }

    @Test
    void swigluMatchesReference() {
        Random rnd = new Random(24);
        int k = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int n : sizes(rnd)) {
                boolean nat = k++ % 2 == 1;
                float[] g = inputs(rnd, n);
                float[] u = gaussian(rnd, n, 2);
                MemorySegment gate = segment(arena, g, nat);
                MemorySegment up = segment(arena, u, nat);
                MemorySegment out = segment(arena, new float[n], nat);
                MemorySegment expected = segment(arena, new float[n], nat);
                ActivationsReference.swiglu(gate, up, expected, n);
                Activations.swiglu(gate, up, out, n);
                float[] want = floats(expected, n);
                assertClose(floats(out, n), want, "swiglu n=" + n);
                Activations.swiglu(gate, up, gate, n); // in place into gate
                assertClose(floats(gate, n), want, "swiglu into gate n=" + n);
                gate = segment(arena, g, nat);
                Activations.swiglu(gate, up, up, n); // in place into up
                assertClose(floats(up, n), want, "swiglu into up n=" + n);
            }
        }
    }

    /** The kernels take their scalar form while the process is cold ({@link ColdStart}): it must give the same bits. */
    @Test
    void scalarAndVectorFormsGiveTheSameBits() {
        Random rnd = new Random(25);
        try (Arena arena = Arena.ofConfined()) {
            java.util.Map<String, Unary> kernels = new java.util.LinkedHashMap<>();
            kernels.put("silu", Activations::silu);
            kernels.put("quickGelu", Activations::quickGelu);
            kernels.put("geluErf", Activations::geluErf);
            kernels.put("erf", Erf::erf);
            kernels.put("swiglu", (in, out, n) -> Activations.swiglu(in, in, out, n));
            kernels.put("exp", (in, out, n) -> {
                float[] a = floats(in, n);
                Exp.expInPlace(a, 0, n);
                MemorySegment.copy(a, 0, out, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
            });
            for (int n : new int[] {1, 15, 16, 17, 33, 100, 1001}) {
                MemorySegment in = segment(arena, inputs(rnd, n), true);
                for (var kernel : kernels.entrySet()) {
                    MemorySegment scalar = segment(arena, new float[n], true);
                    MemorySegment vector = segment(arena, new float[n], true);
                    ColdStart.force(true);
                    kernel.getValue().apply(in, scalar, n);
                    ColdStart.force(false);
                    kernel.getValue().apply(in, vector, n);
                    float[] s = floats(scalar, n);
                    float[] v = floats(vector, n);
                    for (int i = 0; i < n; i++) {
                        assertThat(Float.floatToIntBits(v[i])).as("%s n=%s [%s] of %s", kernel.getKey(), n, i, floats(in, n)[i])
                                .isEqualTo(Float.floatToIntBits(s[i]));
                    }
                }
            }
        }
    }
}
