package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class SimdTest {
    /**
     * The width is the one asked for with -Dsieve.vector.bits (the kernels' second test run asks
     * for 256, so that run really tests 8-lane kernels), else the widest the JIT compiles here, and
     * the short, byte and int species widen lane for lane into the float one.
     */
    @Test
    void widthIsTheAskedOrThePreferredOneAndEverySpeciesHasItsLanes() {
        String asked = System.getProperty("sieve.vector.bits");
        int expectedLanes = asked != null ? Integer.parseInt(asked) / 32 : Math.max(8, FloatVector.SPECIES_PREFERRED.length());
        assertThat(Simd.L).isEqualTo(expectedLanes);
        assertThat(Simd.F.length()).isEqualTo(Simd.L);
        assertThat(Simd.I.length()).isEqualTo(Simd.L);
        assertThat(Simd.H.length()).isEqualTo(Simd.L);
        assertThat(Simd.B.length()).isEqualTo(Simd.L);
        assertThat(GemmMicroKernel.NR).isEqualTo(2 * Simd.L);
        assertThat(GemmMicroKernel.MR).isEqualTo(Simd.L == 16 ? 12 : 6);
    }
}
