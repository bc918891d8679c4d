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
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * IVTP — Huang et al., "IVTP: Instruction-guided Visual Token Pruning for Large Vision-Language
 * Models" (ECCV 2024), its LLM side (the vision-tower side is {@link IvtpVit}). There is no public
 * code; this follows the paper's rule: the importance of image token i at layer K-1 is the attention
 * from the <b>instruction tokens</b> to i, averaged over heads and over those tokens; the
 * {@code keep} most important stay in raster order and later layers see them with their original
 * positions (as FastV does).
 *
 * <p>Choices where the paper is silent (documented so results can be compared): the instruction
 * tokens are every prompt row after the image (the question and the template's
 * {@code ASSISTANT:}); with no text after the image the last prompt token is used alone, which
 * makes IVTP coincide with FastV.
 *
 * <p>Multi-layer fusion: with {@code scoreLayers} l1 < l2 < ... < K the importance is the weighted
 * mean of each layer's importance (weights {@code scoreWeights}, equal by default), probed as those
 * layers run, so no layer is computed twice.
 *
 * <p>Progressive two-stage schedule: with {@code secondLayer} K2 > K, the {@code keep} tokens left after
 * the first cut are ranked again by the instruction tokens' attention in layer K2-1 and
 * {@code secondKeep} of them go on from layer K2 (original positions throughout).
 */
public record Ivtp(int layer, int keep, int[] scoreLayers, double[] scoreWeights, int secondLayer, int secondKeep) implements PruningStage {
    public static final String USAGE = "k=K,keep=N|RATIO[,layers=L1/L2,weights=W1/W2][,k2=K2,keep2=N|RATIO]";

    public Ivtp {
        if (secondLayer != 0 && (secondLayer <= layer || secondKeep < 0 || secondKeep > keep)) {
            throw new IllegalArgumentException("IVTP's second stage needs k2 > k=" + layer + " and keep2 <= keep=" + keep + ", got k2="
                    + secondLayer + " keep2=" + secondKeep);
        }
        if (layer < 1 || keep < 0) {
            throw new IllegalArgumentException("IVTP needs k >= 1 and keep >= 0, got k=" + layer + " keep=" + keep);
        }
        if (scoreLayers.length == 0 || scoreLayers.length != scoreWeights.length) {
            throw new IllegalArgumentException("IVTP needs one weight per score layer, got " + scoreLayers.length + " layers and "
                    + scoreWeights.length + " weights");
        }
        double sum = 0;
        for (int i = 0; i < scoreLayers.length; i++) {
            if (scoreLayers[i] < 0 || scoreLayers[i] >= layer || (i > 0 && scoreLayers[i] <= scoreLayers[i - 1])) {
                throw new IllegalArgumentException("IVTP score layers must be ascending and between 0 and k-1=" + (layer - 1)
                        + ", got " + Arrays.toString(scoreLayers));
            }
            if (!(scoreWeights[i] >= 0)) {
                throw new IllegalArgumentException("IVTP weights must be >= 0, got " + scoreWeights[i]);
            }
            sum += scoreWeights[i];
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("IVTP weights must not all be 0");
        }
        scoreLayers = scoreLayers.clone();
        scoreWeights = scoreWeights.clone();
    }

    /** The paper's single-layer rule: the attention of layer K-1. */
    public Ivtp(int layer, int keep) {
        this(layer, keep, new int[] {layer - 1}, new double[] {1});
    }

    /** One cut, ranked by the weighted layers' attention. */
    public Ivtp(int layer, int keep, int[] scoreLayers, double[] scoreWeights) {
        this(layer, keep, scoreLayers, scoreWeights, 0, 0);
    }

    public static Ivtp fromSpec(PruneSpec spec, ModelShape shape, int visualTokens) {
        spec.requireKeys(List.of("k", "keep"), "layers", "weights", "k2", "keep2");
        int layers = shape.textLayers();
        int k = spec.layerK("k", layers);
        int keep = spec.budget("keep", visualTokens);
        int[] scoreLayers = {k - 1};
        double[] weights = {1};
        if (spec.has("layers")) {
            scoreLayers = spec.integers("layers");
            weights = spec.has("weights") ? spec.numbers("weights") : filled(scoreLayers.length);
            if (weights.length != scoreLayers.length) {
                throw new IllegalArgumentException("ivtp needs one weight per layer: layers=" + spec.options().get("layers") + ", weights="
                        + spec.options().get("weights"));
            }
        } else if (spec.has("weights")) {
            throw new IllegalArgumentException("ivtp weights= needs layers= (one weight per layer)");
        }
        if (spec.has("k2") != spec.has("keep2")) {
            throw new IllegalArgumentException("ivtp's second stage needs both k2= and keep2=");
        }
        if (!spec.has("k2")) {
            return new Ivtp(k, keep, scoreLayers, weights);
        }
        int k2 = spec.integer("k2");
        if (k2 <= k || k2 >= layers) {
            throw new IllegalArgumentException("ivtp k2=" + k2 + " must be between k+1=" + (k + 1) + " and " + (layers - 1));
        }
        int keep2 = spec.budget("keep2", visualTokens);
        if (keep2 > keep) {
            throw new IllegalArgumentException("ivtp keep2=" + keep2 + " must not exceed keep=" + keep);
        }
        return new Ivtp(k, keep, scoreLayers, weights, k2, keep2);
    }

    private static double[] filled(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1);
        return w;
    }

    @Override
    public String name() {
        return "ivtp";
    }

    /** The scoring layers, the cut after layer K-1 and the second cut after layer K2-1. */
    @Override
    public List<Hook> hooks(ModelShape shape) {
        TreeSet<Integer> after = new TreeSet<>();
        for (int l : scoreLayers) {
            after.add(l);
        }
        after.add(layer - 1);
        if (secondLayer > 0) {
            after.add(secondLayer - 1);
        }
        return after.stream().map(Hook::afterLlmLayer).toList();
    }

    @Override
    public PruningStage begin() {
        return new Run();
    }

    @Override
    public int visualTokensAfter(int entering) {
        return secondLayer > 0 ? secondKeep : keep;
    }

    /** The instruction tokens: every row after the image, or the last row when there are none. */
    static int[] instructionRows(SequenceView view) {
        int[] text = view.rowsWith(Role.TEXT_AFTER);
        return text.length == 0 ? new int[] {view.lastRow()} : text;
    }

    /** One request: the fused scores are summed layer by layer as the scoring layers run. */
    private final class Run implements PruningStage {
        private float[] fused;
        private final double weightSum = Arrays.stream(scoreWeights).sum();

        @Override
        public String name() {
            return Ivtp.this.name();
        }

        @Override
        public List<Hook> hooks(ModelShape shape) {
            return Ivtp.this.hooks(shape);
        }

        @Override
        public SignalRequest wants(Hook hook, SequenceView view) {
            boolean scoring = Arrays.stream(scoreLayers).anyMatch(l -> l == hook.layer()) || hook.layer() == secondLayer - 1;
            return scoring ? SignalRequest.attentionOf(instructionRows(view)) : SignalRequest.NONE;
        }

        @Override
        public Decision decide(Hook hook, SequenceView view, Signals signals) {
            int[] visual = view.visualRows();
            if (secondLayer > 0 && hook.layer() == secondLayer - 1) {
                float[] scores = signals.meanAttention(visual);
                return Decision.keepVisual(view, TopK.largestSorted(scores, secondKeep), PositionRule.ORIGINAL, scores);
            }
            for (int l = 0; l < scoreLayers.length; l++) {
                if (scoreLayers[l] == hook.layer()) {
                    float[] layerScores = signals.meanAttention(visual);
                    fused = fused == null ? new float[visual.length] : fused;
                    float w = (float) (scoreWeights[l] / weightSum);
                    for (int j = 0; j < fused.length; j++) {
                        fused[j] += w * layerScores[j];
                    }
                }
            }
            if (hook.layer() != layer - 1) {
                return Decision.KEEP_ALL;
            }
            if (keep > visual.length) {
                throw new IllegalArgumentException("ivtp: keep=" + keep + " is more than the " + visual.length + " image tokens");
            }
            return Decision.keepVisual(view, TopK.largestSorted(fused, keep), PositionRule.ORIGINAL, fused);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ivtp other && layer == other.layer && keep == other.keep && secondLayer == other.secondLayer
                && secondKeep == other.secondKeep && Arrays.equals(scoreLayers, other.scoreLayers) && Arrays.equals(scoreWeights, other.scoreWeights);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(layer, keep, secondLayer, secondKeep, Arrays.hashCode(scoreLayers), Arrays.hashCode(scoreWeights));
    }

    @Override
    public String toString() {
        return "IVTP(k=" + layer + ", keep=" + keep + ", layers=" + Arrays.toString(scoreLayers) + ", weights="
                + Arrays.toString(scoreWeights) + (secondLayer == 0 ? "" : ", k2=" + secondLayer + ", keep2=" + secondKeep) + ")";
    }
}
