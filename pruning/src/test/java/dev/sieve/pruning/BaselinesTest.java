package dev.sieve.pruning;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BaselinesTest {
    private static VisionSignals tokens(int n) {
        return new VisionSignals(new float[n], new float[n], 1);
    }

    @Test
    void uniformSpreadsTheBudgetEvenlyOverTheRaster() {
        assertThat(new UniformBaseline(4).select(tokens(16))).containsExactly(2, 6, 10, 14);
        assertThat(new UniformBaseline(16).select(tokens(16))).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        assertThat(new UniformBaseline(1).select(tokens(25))).containsExactly(12);
    }

    @Test
    void randomIsSeededDistinctSortedAndCoversAllTokensOverManySeeds() {
        int[] a = new RandomBaseline(8, 42).select(tokens(576));
        assertThat(a).isEqualTo(new RandomBaseline(8, 42).select(tokens(576))).isSorted().doesNotHaveDuplicates().hasSize(8);
        assertThat(a).isNotEqualTo(new RandomBaseline(8, 43).select(tokens(576)));
        int[] hits = new int[10];
        for (int seed = 0; seed < 2000; seed++) {
            for (int i : new RandomBaseline(3, seed).select(tokens(10))) {
                hits[i]++;
            }
        }
        assertThat(Arrays.stream(hits).min().getAsInt()).as("every token is drawn about 600 times").isGreaterThan(500);
        assertThat(Shapes.stage("random:keep=0.5,seed=7")).isEqualTo(new RandomBaseline(288, 7));
        assertThat(Shapes.stage("uniform:keep=4")).isEqualTo(new UniformBaseline(4));
    }
}
