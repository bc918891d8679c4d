package dev.sieve.pruning;

import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.PruningStage;
import dev.sieve.pruning.pipeline.Role;
import dev.sieve.pruning.pipeline.SequenceView;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * IVTP inside the vision tower — Huang et al., "IVTP: Instruction-guided Visual Token Pruning for
 * Large Vision-Language Models" (ECCV 2024), its group-wise token pruning in the ViT (the LLM side
 * is {@link Ivtp}; the paper's full method is {@code ivtp-vit:keep=288+ivtp:k=8,keep=64}). There is no
 * public code; the paper describes scoring patch tokens every few CLIP layers by the [CLS] token's
 * rolled-out attention and dropping the least important, so later CLIP layers run on fewer tokens.
 *
 * <p>The rule as implemented: CLIP layers from {@code from} on are taken in groups of {@code group}.
 * After the last layer of each group, attention rollout over the group's layers ranks the patches:
 * per layer Â = ½·A + ½·I with A the attention averaged over heads (rows sum to 1, so Â's do too),
 * R = Â_last ··· Â_first, and the score of a patch is R's [CLS] row at it. The patch count falls
 * geometrically from P to {@code keep}: after cut j of m it is round(P·(keep/P)^(j/m)), and
 * exactly {@code keep} after the last.
 *
 * <p>Choices the paper leaves open, made here (configurable where it matters):
 * <ul>
 *   <li>cuts happen only after layers before the feature layer, so the feature layer (what the
 *       projector and vision-output stages see) already runs on the final tokens; when the tower
 *       is shorter than one group, the single group ends at the layer before the feature layer;
 *       layers after the last full group run on {@code keep} tokens;</li>
 *   <li>[CLS] is never dropped (its attention is the score); dropped patches are removed with their
 *       position embeddings (added at the input, so kept rows keep theirs); nothing is merged;</li>
 *   <li>the rollout needs every row's attention in a group's earlier layers (an S x S matrix of the
 *       tower's S = 1 + P rows, averaged over heads) and only the [CLS] row in its last layer;</li>
 *   <li>kept patches reach the LLM re-indexed (as every vision-side method); positions=original keeps
 *       their raster places.</li>
 * </ul>
 *
 * @param keep patch tokens left after the last cut
 * @param group CLIP layers per group (3 by default)
 * @param from the first layer of the first group (0 by default)
 */
public record IvtpVit(int keep, int group, int from) implements PruningStage {
    public static final String USAGE = "keep=N|RATIO[,group=G][,from=L]";

    public IvtpVit {
        if (keep < 1 || group < 1 || from < 0) {
            throw new IllegalArgumentException("ivtp-vit needs keep >= 1, group >= 1 and from >= 0, got keep=" + keep + " group=" + group
                    + " from=" + from);
        }
    }

    public static IvtpVit fromSpec(PruneSpec spec, ModelShape shape, int visualTokens) {
        spec.requireKeys(List.of("keep"), "group", "from");
        IvtpVit stage = new IvtpVit(spec.budget("keep", visualTokens), spec.integer("group", 3), spec.integer("from", 0));
        stage.cutLayers(shape.visionLayers());
        return stage;
    }

    @Override
    public String name() {
        return "ivtp-vit";
    }

    /**
     * The CLIP layers after which this stage cuts, for a tower that runs {@code visionLayers} layers
     * (the last being the feature layer): every group's last layer before the feature layer.
     */
    public int[] cutLayers(int visionLayers) {
        int lastCuttable = visionLayers - 2;
        if (from > lastCuttable) {
            throw new IllegalArgumentException("ivtp-vit from=" + from + " leaves no layer to cut after: the tower runs " + visionLayers
                    + " layers and cuts must come before the feature layer (layer " + (visionLayers - 1) + ")");
        }
        List<Integer> cuts = new ArrayList<>();
        for (int end = from + group - 1; end <= lastCuttable; end += group) {
            cuts.add(end);
        }
        if (cuts.isEmpty()) {
            cuts.add(lastCuttable);
        }
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Every layer from {@code from} to the last cut: the rollout needs each one's attention. */
    @Override
    public List<Hook> hooks(ModelShape shape) {
        int[] cuts = cutLayers(shape.visionLayers());
        return IntStream.rangeClosed(from, cuts[cuts.length - 1]).mapToObj(Hook::afterVisionLayer).toList();
    }

    @Override
    public PruningStage begin() {
        return new Run();
    }

    /** The patch count after each of {@code cuts} cuts, from {@code patches} down to {@link #keep}. */
    public int[] schedule(int patches, int cuts) {
        int[] counts = new int[cuts];
        for (int j = 1; j <= cuts; j++) {
            counts[j - 1] = j == cuts ? keep : (int) Math.round(patches * Math.pow((double) keep / patches, (double) j / cuts));
        }
        return counts;
    }

    /**
     * The [CLS] row of the rollout R = Â_last ··· Â_first: {@code earlier} holds the full head-mean
     * attention of the group's earlier layers, first to last ({@code rows x rows} each), {@code lastClsRow}
     * the [CLS] row (row 0) of the last layer's.
     */
    public static double[] rolloutClsRow(List<float[]> earlier, float[] lastClsRow, int rows) {
        double[] v = new double[rows];
        for (int j = 0; j < rows; j++) {
            v[j] = 0.5 * lastClsRow[j] + (j == 0 ? 0.5 : 0);
        }
        for (int l = earlier.size() - 1; l >= 0; l--) {
            float[] a = earlier.get(l);
            double[] next = new double[rows];
            for (int q = 0; q < rows; q++) {
                double w = v[q];
                if (w == 0) {
                    continue;
                }
                next[q] += 0.5 * w;
                for (int k = 0; k < rows; k++) {
                    next[k] += 0.5 * w * a[q * rows + k];
                }
            }
            v = next;
        }
        return v;
    }

    @Override
    public int visualTokensAfter(int entering) {
        return keep;
    }

    /** One request: the group's attention matrices so far, and the cuts made. */
    private final class Run implements PruningStage {
        private final List<float[]> groupAttention = new ArrayList<>();
        private int[] cuts;
        private int[] counts;
        private int cutsDone;

        @Override
        public String name() {
            return IvtpVit.this.name();
        }

        @Override
        public List<Hook> hooks(ModelShape shape) {
            return IvtpVit.this.hooks(shape);
        }

        private boolean isCut(SequenceView view, int layer) {
            if (cuts == null) {
                cuts = cutLayers(view.shape().visionLayers());
            }
            for (int c : cuts) {
                if (c == layer) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public SignalRequest wants(Hook hook, SequenceView view) {
            int[] cls = view.rowsWith(Role.CLS);
            return isCut(view, hook.layer()) ? SignalRequest.attentionOf(cls) : SignalRequest.attentionOf(IntStream.range(0, view.rows()).toArray());
        }

        @Override
        public Decision decide(Hook hook, SequenceView view, Signals signals) {
            int rows = view.rows();
            int[] all = IntStream.range(0, rows).toArray();
            if (!isCut(view, hook.layer())) {
                float[] a = new float[rows * rows];
                for (int q = 0; q < rows; q++) {
                    System.arraycopy(signals.attentionOf(q, all), 0, a, q * rows, rows);
                }
                groupAttention.add(a);
                return Decision.KEEP_ALL;
            }
            int[] visual = view.visualRows();
            if (counts == null) {
                if (keep > visual.length) {
                    throw new IllegalArgumentException("ivtp-vit: keep=" + keep + " is more than the " + visual.length + " patch tokens");
                }
                counts = schedule(visual.length, cuts.length);
            }
            double[] rollout = rolloutClsRow(groupAttention, signals.attentionOf(0, all), rows);
            groupAttention.clear();
            float[] scores = new float[visual.length];
            for (int j = 0; j < visual.length; j++) {
                scores[j] = (float) rollout[visual[j]];
            }
            int target = Math.min(visual.length, counts[cutsDone++]);
            return Decision.keepVisual(view, TopK.largestSorted(scores, target), PositionRule.REINDEX, scores);
        }

        @Override
        public int visualTokensAfter(int entering) {
            return keep;
        }
    }
}
