package dev.sieve.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FastVTest {
    @Test
    void keepsTheMostAttendedImageTokensInRasterOrder() {
        float[] attention = {0.05f, 0.30f, 0.01f, 0.20f, 0.25f, 0.02f};
        assertThat(new FastV(2, 3).select(attention)).containsExactly(1, 3, 4);
        assertThat(new FastV(2, 0).select(attention)).isEmpty();
        assertThat(new FastV(2, 6).select(attention)).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(new FastV(3, 1).scoringLayer()).isEqualTo(2);
    }

    @Test
    void equalScoresKeepTheLowerIndexAndBadBudgetsAreRefused() {
        assertThat(TopK.largestSorted(new float[] {1, 2, 2, 0}, 1)).containsExactly(1);
        assertThatThrownBy(() -> new FastV(2, 7).select(new float[6])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("7 of 6");
        assertThatThrownBy(() -> new FastV(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
