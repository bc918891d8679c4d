package dev.sieve.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class SparseVlmTest {
    @Test
    void ratersAreTheTextTokensTheImageRelatesToAboveTheMean() {
        // Two visual rows along x; text 0 along x (strong), text 1 along y (none), text 2 weakly along x.
        float[] visual = {4, 0, 3, 0};
        float[] text = {2, 0, 0, 2, 0.5f, 0};
        assertThat(SparseVlm.raters(visual, 2, text, 3, 2)).containsExactly(0);
        // All equal: nobody is strictly above the mean.
        assertThat(SparseVlm.raters(visual, 2, new float[] {1, 0, 1, 0}, 2, 2)).isEmpty();
    }

    @Test
    void keepsTheTopCountButNeverAllAndRecyclesTheBestThirtyPercentOfThePruned() {
        SparseVlm sv = new SparseVlm(new int[] {2, 6}, new int[] {3, 10});
        float[] scores = {0.1f, 0.9f, 0.3f, 0.8f, 0.05f, 0.7f, 0.2f, 0.0f, 0.4f, 0.6f};
        int[] kept = sv.select(0, scores);
        assertThat(kept).containsExactly(1, 3, 5);
        assertThat(sv.select(1, scores)).hasSize(9);  // min(count, n - 1)
        // 7 pruned -> int(2.1) + 1 = 3 recycled, best first: 0.6 (9), 0.4 (8), 0.3 (2).
        assertThat(SparseVlm.recycled(scores, kept)).containsExactly(9, 8, 2);
        assertThat(SparseVlm.recycled(new float[] {1, 2}, new int[] {0, 1})).isEmpty();
    }

    @Test
    void dpcKnnMergesEachGroupIntoItsMean() {
        // 12 rows: 6 around (10, 0), 6 around (-10, 0) -> int(12/10)+1 = 2 clusters.
        float[] rows = new float[24];
        for (int i = 0; i < 12; i++) {
            rows[2 * i] = (i < 6 ? 10 : -10) + 0.1f * (i % 3);
            rows[2 * i + 1] = 0.1f * (i % 2);
        }
        float[] merged = SparseVlm.merge(rows, 12, 2);
        assertThat(merged).hasSize(4);
        float a = merged[0];
        float b = merged[2];
        assertThat(Math.max(a, b)).isCloseTo(10.1f, offset(1e-5f));
        assertThat(Math.min(a, b)).isCloseTo(-9.9f, offset(1e-5f));
        assertThat(merged[1]).isCloseTo(0.05f, offset(1e-6f));
        // Fewer than 10 rows: one cluster, the plain mean.
        assertThat(SparseVlm.merge(new float[] {1, 2, 3, 4, 5, 6}, 3, 2)).containsExactly(3, 4);
    }

    @Test
    void budgetsMapToTheReferenceSchedulesAndBadSpecsSayWhy() {
        assertThat(SparseVlm.forBudget(64)).isEqualTo(new SparseVlm(new int[] {2, 6, 15}, new int[] {66, 30, 17}));
        assertThat(Shapes.stage("sparsevlm:keep=128")).isEqualTo(new SparseVlm(new int[] {2, 6, 15}, new int[] {303, 110, 36}));
        dev.sieve.pruning.pipeline.ModelShape shapes = new dev.sieve.pruning.pipeline.ModelShape(2, 144, 64, 4, 64, 144);
        assertThat(PrunePlan.parse("sparsevlm:layers=1/2,counts=48/24", shapes).entries().get(0).stage())
                .isEqualTo(new SparseVlm(new int[] {1, 2}, new int[] {48, 24}));
        assertThatThrownBy(() -> Shapes.stage("sparsevlm:keep=100")).hasMessageContaining("192, 128 or 64");
        assertThatThrownBy(() -> PrunePlan.parse("sparsevlm:keep=64", shapes)).hasMessageContaining("576 visual tokens");
        assertThatThrownBy(() -> PrunePlan.parse("sparsevlm:layers=1/3,counts=8/4", shapes)).hasMessageContaining("below 3");
        assertThatThrownBy(() -> PrunePlan.parse("sparsevlm:layers=1/2,counts=8", shapes)).hasMessageContaining("one count per layer");
    }
}
