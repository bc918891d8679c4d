package dev.sieve.kernels;

/**
 * Whether an exp-heavy kernel should still take its scalar form. Until C2 compiles a kernel, the
 * Vector API runs every vector operation through a Java fallback that allocates and loops over the
 * lanes, and a vector {@link Exp#exp(jdk.incubator.vector.FloatVector)} is about 28 such operations,
 * so in a short run (the demo, a first request) the vector form is many times slower than the
 * scalar one. Both forms return the same bits (which {@code ExpTest} and {@code ActivationsTest}
 * check), so the kernels here take the scalar form for the first elements of the process, by when
 * their loops are hot and compiled, and the vector form after.
 */
final class ColdStart {
    /**
     * Elements through the scalar form before vectors are used. 2^26 (about 0.1 s of scalar work in all)
     * keeps a short run such as the demo scalar throughout, and is a small part of one LLaVA-7B
     * prefill; a lower switch point lands in the middle of a short run, where the loops compiled
     * without their vector branch must deoptimise and run it interpreted first. Tests set it low
     * ({@code -Dsieve.kernels.scalarWarmupElements}) so that they exercise the vector form and the switch.
     */
    private static final long SCALAR_ELEMENTS = Long.getLong("sieve.kernels.scalarWarmupElements", 1L << 26);
    /** Racy on purpose: a lost update only moves the switch a little. */
    private static long scalarSoFar;

    private ColdStart() {
    }

    /** True (and counted) while fewer than {@link #SCALAR_ELEMENTS} elements went the scalar way. */
    static boolean scalar(int n) {
        if (scalarSoFar >= SCALAR_ELEMENTS) {
            return false;
        }
        scalarSoFar += n;
        return true;
    }

    /** For tests: every following call takes the scalar form (for a while again) or the vector form. */
    static void force(boolean scalarForm) {
        scalarSoFar = scalarForm ? 0 : SCALAR_ELEMENTS;
    }
}
