package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ErfTest {
    /** Test the vector form: the kernels take the scalar one while the process is cold ({@link ColdStart}). */
    @BeforeEach
    void vectorForm() {
        ColdStart.force(false);
    }

    /** erf to 20 digits (mpmath), for the double-precision evaluation. */
    private static final double[][] KNOWN = {
            {1e-08, 1.1283791670955125599e-8},
            {0.001, 0.0011283787909692364034},
            {0.1, 0.1124629160182848984},
            {0.25, 0.27632639016823693299},
            {0.5, 0.52049987781304653768},
            {0.75, 0.7111556336535151316},
            {0.9999, 0.84265927804875947799},
            {1.0, 0.84270079294971486934},
            {1.5, 0.96610514647531072707},
            {2.0, 0.99532226501895273416},
            {2.5, 0.99959304798255504106},
            {3.0, 0.99997790950300141456},
            {3.5, 0.99999925690162765859},
            {4.0, 0.99999998458274209972},
            {5.0, 0.99999999999846254021},
            {5.9, 0.9999999999999999281},
    };

    private static final float LO = -10f;
    private static final float HI = 10f;
    private static final int POINTS = 2_000_001; // step 1e-5

    private static float sweep(int k) {
        return LO + (HI - LO) * k / (POINTS - 1);
    }

    @Test
    void doublePrecisionErfMatchesKnownValues() {
        for (double[] kv : KNOWN) {
            assertThat(Erf.erf(kv[0])).as("erf(%s)", kv[0]).isCloseTo(kv[1], within(1.5e-15));
            assertThat(Erf.erf(-kv[0])).as("erf(-%s)", kv[0]).isCloseTo(-kv[1], within(1.5e-15));
        }
        assertThat(Erf.erf(0.0)).isEqualTo(0.0);
        assertThat(Erf.erf(7.0)).isEqualTo(1.0);
        assertThat(Erf.erf(Double.NEGATIVE_INFINITY)).isEqualTo(-1.0);
        assertThat(Erf.erf(Double.NaN)).isNaN();
    }

    @Test
    void doublePrecisionErfIsContinuousAndMonotoneAcrossItsBranches() {
        for (double cut : new double[] {3.0, 6.0}) {
            double prev = Erf.erf(cut - 0.01);
            for (double x = cut - 0.01; x < cut + 0.01; x += 1e-5) {
                double v = Erf.erf(x);
                assertThat(v).as("erf(%s)", x).isGreaterThanOrEqualTo(prev - 1e-15);
                assertThat(v - prev).isLessThan(1e-5);
                prev = v;
            }
        }
    }

    @Test
    void scalarFloatErfMaxAbsoluteErrorOverMinus10To10() {
        double max = 0;
        float worst = 0;
        for (int k = 0; k < POINTS; k++) {
            float x = sweep(k);
            double err = Math.abs(Erf.erf(x) - Erf.erf((double) x));
            if (err > max) {
                max = err;
                worst = x;
            }
        }
        System.out.printf("scalar float erf: max abs error %.3e at x=%s%n", max, worst);
        assertThat(max).isLessThanOrEqualTo(Erf.MAX_ABS_ERROR);
    }

    @Test
    void vectorErfMaxAbsoluteErrorOverMinus10To10() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate((long) POINTS * 4, 64);
            MemorySegment out = arena.allocate((long) POINTS * 4, 64);
            for (int k = 0; k < POINTS; k++) {
                in.setAtIndex(Elementwise.F32, k, sweep(k));
            }
            Erf.erf(in, out, POINTS);
            double max = 0;
            float worst = 0;
            double maxRelSmall = 0;
            for (int k = 0; k < POINTS; k++) {
                float x = in.getAtIndex(Elementwise.F32, k);
                double exact = Erf.erf((double) x);
                double err = Math.abs(out.getAtIndex(Elementwise.F32, k) - exact);
                if (err > max) {
                    max = err;
                    worst = x;
                }
                if (x != 0 && Math.abs(x) < 1) {
                    maxRelSmall = Math.max(maxRelSmall, err / Math.abs(exact));
                }
            }
            System.out.printf("vector erf: max abs error %.3e at x=%s; max rel error for |x|<1: %.3e%n", max, worst,
                    maxRelSmall);
            assertThat(max).isLessThanOrEqualTo(Erf.MAX_ABS_ERROR);
            assertThat(maxRelSmall).isLessThanOrEqualTo(3e-7);
        }
    }

    @Test
    void smallArgumentsKeepRelativeAccuracy() {
        for (float x : new float[] {1e-30f, -1e-20f, 1e-10f, 3e-7f, -1e-4f, 0.01f, -0.3f, 0.999f}) {
            double exact = Erf.erf((double) x);
            assertThat((double) Erf.erf(x)).as("x=%s", x).isCloseTo(exact, within(Math.abs(exact) * 3e-7));
        }
        assertThat(Erf.erf(0f)).isEqualTo(0f);
        assertThat(Float.floatToRawIntBits(Erf.erf(-0f))).isEqualTo(Float.floatToRawIntBits(-0f));
    }

    @Test
    void specialValues() {
        float[] xs = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, 1f, -1f, 30f, -30f,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE};
        float[] expected = {Float.NaN, 1f, -1f, 0f, (float) Erf.erf(1.0), (float) Erf.erf(-1.0), 1f, -1f, 1f, -1f,
                Float.MIN_VALUE};
        float[] vectorOut = new float[xs.length];
        Erf.erf(MemorySegment.ofArray(xs), MemorySegment.ofArray(vectorOut), xs.length);
        for (int i = 0; i < xs.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertThat(Erf.erf(xs[i])).isNaN();
                assertThat(vectorOut[i]).isNaN();
            } else {
                assertThat(Erf.erf(xs[i])).as("scalar erf(%s)", xs[i]).isCloseTo(expected[i], within(1.2e-7f));
                assertThat(vectorOut[i]).as("vector erf(%s)", xs[i]).isCloseTo(expected[i], within(1.2e-7f));
            }
        }
    }

    @Test
    void vectorOverloadAgreesWithScalarLanes() {
        var species = FloatVector.SPECIES_PREFERRED;
        float[] xs = new float[species.length() * 64];
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) (rnd.nextGaussian() * 3);
        }
        float[] out = new float[xs.length];
        for (int i = 0; i < xs.length; i += species.length()) {
            Erf.erf(FloatVector.fromArray(species, xs, i)).intoArray(out, i);
        }
        for (int i = 0; i < xs.length; i++) {
            assertThat(out[i]).as("x=%s", xs[i]).isCloseTo(Erf.erf(xs[i]), within(1.2e-7f));
        }
        // and the segment version over a heap segment with a tail
        float[] seg = new float[xs.length - 3];
        Erf.erf(MemorySegment.ofArray(xs), MemorySegment.ofArray(seg), seg.length);
        for (int i = 0; i < seg.length; i++) {
            assertThat(seg[i]).isCloseTo(out[i], within(1.2e-7f));
        }
        assertThat(ByteOrder.nativeOrder()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    }
}
