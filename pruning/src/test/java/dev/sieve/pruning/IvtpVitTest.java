package dev.sieve.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PruningStage;
import dev.sieve.pruning.pipeline.SequenceView;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IVTP's group-wise pruning in the vision tower: cut layers, schedule, and the rollout on hand-made attention. */
class IvtpVitTest {
    @Test
    void cutsAfterEveryGroupBeforeTheFeatureLayerAndFallsGeometricallyToKeep() {
        IvtpVit vit = new IvtpVit(288, 3, 0);
        // CLIP-L run to its 23rd layer (feature layer 22): groups end at 2, 5, ..., 20.
        assertThat(vit.cutLayers(23)).containsExactly(2, 5, 8, 11, 14, 17, 20);
        assertThat(new IvtpVit(8, 3, 0).cutLayers(3)).as("a tower shorter than a group cuts once, before the feature layer").containsExactly(1);
        assertThat(new IvtpVit(8, 2, 1).cutLayers(6)).containsExactly(2, 4);
        int[] counts = vit.schedule(576, 7);
        assertThat(counts[6]).isEqualTo(288);
        for (int j = 1; j < counts.length; j++) {
            assertThat(counts[j]).isLessThanOrEqualTo(counts[j - 1]);
        }
        assertThat(counts[0]).isEqualTo((int) Math.round(576 * Math.pow(0.5, 1 / 7.0)));
        assertThat(vit.hooks(Shapes.LLAVA_7B)).hasSize(21).startsWith(Hook.afterVisionLayer(0)).endsWith(Hook.afterVisionLayer(20));
    }

    @Test
    void rolloutIsTheClsRowOfTheProductOfHalfAttentionPlusHalfIdentity() {
        // Three rows: [CLS], p0, p1. Layer 1 (earlier) and layer 2 (last, only its CLS row is needed).
        float[] a1 = {0.2f, 0.5f, 0.3f, 0.1f, 0.8f, 0.1f, 0.6f, 0.2f, 0.2f};
        float[] a2cls = {0.1f, 0.3f, 0.6f};
        double[] r = IvtpVit.rolloutClsRow(List.of(a1), a2cls, 3);
        // By hand: Â2[0] = [0.55, 0.15, 0.30]; Â1 = 0.5·A1 + 0.5·I; r = Â2[0] · Â1.
        double[][] hat1 = new double[3][3];
        for (int q = 0; q < 3; q++) {
            for (int k = 0; k < 3; k++) {
                hat1[q][k] = 0.5 * a1[q * 3 + k] + (q == k ? 0.5 : 0);
            }
        }
        double[] row = {0.55, 0.15, 0.30};
        for (int k = 0; k < 3; k++) {
            double expected = 0;
            for (int q = 0; q < 3; q++) {
                expected += row[q] * hat1[q][k];
            }
            assertThat(r[k]).isCloseTo(expected, offset(1e-7));
        }
        assertThat(r[0] + r[1] + r[2]).as("rows of Â sum to 1, so does the rollout row").isCloseTo(1.0, offset(1e-6));
        // A group of one layer: just that layer's Â row.
        double[] single = IvtpVit.rolloutClsRow(List.of(), a2cls, 3);
        for (int k = 0; k < 3; k++) {
            assertThat(single[k]).isCloseTo(0.5 * a2cls[k] + (k == 0 ? 0.5 : 0), offset(1e-7));
        }
    }

    @Test
    void aGroupCollectsEveryRowsAttentionThenCutsByTheRolloutKeepingCls() {
        ModelShape shape = new ModelShape(3, 4, 4, 2, 4, 4);
        PruningStage run = new IvtpVit(2, 2, 0).begin();
        assertThat(run.hooks(shape)).containsExactly(Hook.afterVisionLayer(0), Hook.afterVisionLayer(1));
        SequenceView view = Shapes.tower(Hook.afterVisionLayer(0), 4, shape);
        SignalRequest first = run.wants(Hook.afterVisionLayer(0), view);
        assertThat(first.attentionRows()).containsExactly(0, 1, 2, 3, 4);
        float[] uniform = new float[25];
        java.util.Arrays.fill(uniform, 0.2f);
        assertThat(run.decide(Hook.afterVisionLayer(0), view, Signals.of(new int[] {0, 1, 2, 3, 4}, uniform, 5, null, null, 0, null, 0))
                .keepsAll()).isTrue();
        SequenceView atCut = Shapes.tower(Hook.afterVisionLayer(1), 4, shape);
        assertThat(run.wants(Hook.afterVisionLayer(1), atCut).attentionRows()).containsExactly(0);
        // With uniform earlier attention the rollout ranks as the last layer's CLS row: patches 1 and 3 win.
        Decision d = run.decide(Hook.afterVisionLayer(1), atCut, Signals.of(new int[] {0}, new float[] {0.2f, 0.1f, 0.3f, 0.1f, 0.3f}, 5, null, null,
                0, null, 0));
        assertThat(d.keep()).containsExactly(0, 2, 4);
    }
}
