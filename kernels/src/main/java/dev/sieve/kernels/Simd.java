package dev.sieve.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width the weight kernels (GEMV, GEMM, weight widening) are written for: the widest
 * float vector the JIT compiles to machine instructions on this CPU ({@link FloatVector#SPECIES_PREFERRED}:
 * 16 lanes with AVX-512, 8 with AVX2), at least 8 lanes, or the width {@code -Dsieve.vector.bits=256|512}
 * names (to test or measure the other width on an AVX-512 machine).
 *
 * <p>Why not a fixed 512 bits: without AVX-512 the JIT does not compile 512-bit vectors into
 * instructions; each operation then runs as Java code over boxed lane arrays. On a 2-core AMD EPYC
 * that reports only AVX2 (docs/BENCHMARKS.md, eighth pass) every GEMV type ran at 0.1-2.4 GB/s
 * with fixed 512-bit vectors, 5-8% of the triad.
 *
 * <p>What the width changes: a GEMV row's accumulators split its columns into {@link #L}-lane
 * blocks, so GEMV results can differ in their last bits between an AVX2 and an AVX-512 machine
 * (on one machine they are the same in every JIT tier and with any thread count). GEMM's sums
 * run over k in the same order for every width, so its results do not depend on it.
 */
final class Simd {
    /** The float species of every weight kernel. */
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(bits()));
    /** Its lane count: 16 (AVX-512) or 8 (AVX2, or a CPU with narrower vectors, where 8 lanes run as Java code). */
    static final int L = F.length();
    /** Int lanes of the same width (sign-extended halves). */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** L shorts: the halves that widen into one float vector. */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    /** L bytes: the Q8_0 quants that widen into one float vector. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    private Simd() {}

    private static int bits() {
        return KernelSettings.vectorBits(Math.max(256, FloatVector.SPECIES_PREFERRED.vectorBitSize()));
    }
}
