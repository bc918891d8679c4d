package dev.sieve.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PatchEmbeddingTest {
    @Test
    void unfoldPlusGemmEqualsTheConvolution() {
        Random r = new Random(11);
        int[][] cases = {{3, 56, 56, 14, 64}, {3, 70, 70, 14, 48}, {3, 30, 45, 7, 5}, {1, 4, 4, 2, 1}, {3, 31, 29, 14, 17}};
        try (Arena arena = Arena.ofShared(); Parallel two = Parallel.create(2)) {
            for (int[] c : cases) {
                int channels = c[0], height = c[1], width = c[2], patch = c[3], hidden = c[4];
                MemorySegment pixels = RandomWeights.floats(r, (long) channels * height * width);
                WeightMatrix w = RandomWeights.weight(r, WeightType.F32, hidden, channels * patch * patch, channels * patch * patch, arena);
                int patches = PatchEmbedding.patchCount(height, width, patch);
                int k = channels * patch * patch;
                MemorySegment unfolded = MemorySegment.ofArray(new float[patches * k]);
                PatchEmbedding.unfold(pixels, channels, height, width, patch, unfolded);
                MemorySegment actual = MemorySegment.ofArray(new float[patches * hidden]);
                Gemm.matmul(unfolded, patches, k, k, w, null, actual, hidden, two);
                MemorySegment expected = MemorySegment.ofArray(new float[patches * hidden]);
                PatchEmbedding.convolveReference(pixels, channels, height, width, patch, w, expected);
                for (int i = 0; i < patches * hidden; i++) {
                    float e = expected.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    float a = actual.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    if (Math.abs(e - a) > 1e-4 + 1e-5 * Math.abs(e)) {
                        throw new AssertionError("case " + java.util.Arrays.toString(c) + " element " + i + ": " + a + " vs " + e);
                    }
                }
            }
        }
    }
}
