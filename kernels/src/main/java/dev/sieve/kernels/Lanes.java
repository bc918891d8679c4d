package dev.sieve.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order, the same bits in every JIT tier.
 *
 * <p>Why not {@code reduceLanes(ADD)}: its order of additions is unspecified, and in practice the
 * interpreter, C1 and C2 (and C2's on-stack-replaced loops) add in different orders, so GEMV,
 * the norms and softmax returned different last bits for the same input depending on how warm
 * the JIT was. Here the lanes are added pairwise (lane i + lane i+n/2, then again on the lower
 * half, ...) with fixed shuffles: every step is an exactly rounded add of fixed operands, so the
 * result cannot depend on the compiler. The tree is also shorter than a sequential reduction
 * (log2 n dependent adds instead of n - 1).
 */
public final class Lanes {
    static final VectorShuffle<Float> ROTATE_512_8 = rotation(FloatVector.SPECIES_512, 8);
    static final VectorShuffle<Float> ROTATE_512_4 = rotation(FloatVector.SPECIES_512, 4);
    static final VectorShuffle<Float> ROTATE_512_2 = rotation(FloatVector.SPECIES_512, 2);
    static final VectorShuffle<Float> ROTATE_512_1 = rotation(FloatVector.SPECIES_512, 1);
    static final VectorShuffle<Float> ROTATE_256_4 = rotation(FloatVector.SPECIES_256, 4);
    static final VectorShuffle<Float> ROTATE_256_2 = rotation(FloatVector.SPECIES_256, 2);
    static final VectorShuffle<Float> ROTATE_256_1 = rotation(FloatVector.SPECIES_256, 1);
    private static final VectorShuffle<Float> ROTATE_128_2 = rotation(FloatVector.SPECIES_128, 2);
    private static final VectorShuffle<Float> ROTATE_128_1 = rotation(FloatVector.SPECIES_128, 1);
    private static final VectorShuffle<Float> ROTATE_64_1 = rotation(FloatVector.SPECIES_64, 1);

    private Lanes() {
    }

    /** Lane 0 + ... + lane n-1, added as a balanced binary tree in a fixed order. */
    public static float sum(FloatVector v) {
        // Lane count is a constant for each concrete vector class, so C2 keeps one branch.
        switch (v.length()) {
            case 16 -> {
                v = v.add(v.rearrange(ROTATE_512_8));
                v = v.add(v.rearrange(ROTATE_512_4));
                v = v.add(v.rearrange(ROTATE_512_2));
                v = v.add(v.rearrange(ROTATE_512_1));
            }
            case 8 -> {
                v = v.add(v.rearrange(ROTATE_256_4));
                v = v.add(v.rearrange(ROTATE_256_2));
                v = v.add(v.rearrange(ROTATE_256_1));
            }
            case 4 -> {
                v = v.add(v.rearrange(ROTATE_128_2));
                v = v.add(v.rearrange(ROTATE_128_1));
            }
            case 2 -> v = v.add(v.rearrange(ROTATE_64_1));
            default -> {
                return sumInOrder(v.toArray());
            }
        }
        return v.lane(0);
    }

    /** The same pairwise tree over an array of a power-of-two length (the scalar twin of {@link #sum}). */
    static float sumInOrder(float[] lanes) {
        float[] t = lanes.clone();
        for (int half = t.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                t[i] += t[i + half];
            }
        }
        return t[0];
    }

    /**
     * The same pairwise tree over {@code lanes[off, off + n)}, n a power of two, in place (the
     * array is left changed): for kernels that store their n-lane accumulators and reduce them
     * here, so that no vector crosses a call C2 may not inline (such a vector is boxed: an
     * allocation per call). Equal bit for bit to {@link #sum} of the stored vector.
     */
    public static float sumStored(float[] lanes, int off, int n) {
        for (int half = n / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                lanes[off + i] += lanes[off + i + half];
            }
        }
        return lanes[off];
    }

    /** Lane i takes lane (i + by) mod n. */
    private static VectorShuffle<Float> rotation(VectorSpecies<Float> species, int by) {
        return VectorShuffle.iota(species, by, 1, true);
    }
}
