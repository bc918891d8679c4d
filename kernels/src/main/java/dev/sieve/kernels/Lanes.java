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
    private static final VectorShuffle<Float>[] BY_512 = halves(FloatVector.SPECIES_512);
    private static final VectorShuffle<Float>[] BY_256 = halves(FloatVector.SPECIES_256);
    private static final VectorShuffle<Float>[] BY_128 = halves(FloatVector.SPECIES_128);
    private static final VectorShuffle<Float>[] BY_64 = halves(FloatVector.SPECIES_64);
    private static final VectorShuffle<Float> ROTATE_512_8 = BY_512[0];
    private static final VectorShuffle<Float> ROTATE_512_4 = BY_512[1];
    private static final VectorShuffle<Float> ROTATE_512_2 = BY_512[2];
    private static final VectorShuffle<Float> ROTATE_512_1 = BY_512[3];
    private static final VectorShuffle<Float> ROTATE_256_4 = BY_256[0];
    private static final VectorShuffle<Float> ROTATE_256_2 = BY_256[1];
    private static final VectorShuffle<Float> ROTATE_256_1 = BY_256[2];
    private static final VectorShuffle<Float> ROTATE_128_2 = BY_128[0];
    private static final VectorShuffle<Float> ROTATE_128_1 = BY_128[1];
    private static final VectorShuffle<Float> ROTATE_64_1 = BY_64[0];

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

    /** Shuffles rotating by n/2, n/4, ..., 1 lanes. */
    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves(VectorSpecies<Float> species) {
        int steps = Integer.numberOfTrailingZeros(species.length());
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int s = 0; s < steps; s++) {
            shuffles[s] = VectorShuffle.iota(species, species.length() >> (s + 1), 1, true);
        }
        return shuffles;
    }
}
