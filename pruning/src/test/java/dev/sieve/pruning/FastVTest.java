package dev.sieve.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.SequenceView;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import org.junit.jupiter.api.Test;

/** FastV on hand-made signals: what it asks for, what it keeps, and its position rule. */
class FastVTest {
    private static final Hook AFTER_1 = Hook.afterLlmLayer(1);

    /** 2 text rows, 6 image rows, 2 text rows; the last row's attention to every row. */
    private static Decision decide(FastV fastv, float[] imageAttention) {
        SequenceView view = Shapes.llm(AFTER_1, 2, 6, 2);
        float[] attention = new float[10];
        System.arraycopy(imageAttention, 0, attention, 2, 6);
        SignalRequest wants = fastv.wants(AFTER_1, view);
        assertThat(wants.attentionRows()).containsExactly(9);
        return fastv.decide(AFTER_1, view, Signals.of(new int[] {9}, attention, 10, null, null, 0, null, 0));
    }

    @Test
    void keepsTheMostAttendedImageTokensInRasterOrderWithOriginalPositions() {
        float[] attention = {0.05f, 0.30f, 0.01f, 0.20f, 0.25f, 0.02f};
        FastV fastv = new FastV(2, 3);
        assertThat(fastv.hooks(Shapes.LLAVA_7B)).containsExactly(AFTER_1);
        Decision d = decide(fastv, attention);
        assertThat(d.keep()).containsExactly(0, 1, 3, 5, 6, 8, 9);
        assertThat(d.positions()).isEqualTo(PositionRule.ORIGINAL);
        assertThat(d.scores()).containsExactly(attention);
        assertThat(decide(new FastV(2, 0), attention).keep()).containsExactly(0, 1, 8, 9);
        assertThat(decide(new FastV(2, 6), attention).keep()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    @Test
    void equalScoresKeepTheLowerIndexAndBadBudgetsAreRefused() {
        assertThat(TopK.largestSorted(new float[] {1, 2, 2, 0}, 1)).containsExactly(1);
        assertThatThrownBy(() -> decide(new FastV(2, 7), new float[6])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keep=7 is more than the 6 image tokens");
        assertThatThrownBy(() -> new FastV(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
