package dev.sieve.pruning;

/**
 * IVTP — Huang et al., "IVTP: Instruction-guided Visual Token Pruning for Large Vision-Language
 * Models" (ECCV 2024). There is no public code; this follows the paper's LLM-side rule: the
 * importance of image token i at layer K-1 is the attention from the <b>instruction tokens</b> to
 * i, averaged over heads and over those tokens; the {@code keep} most important stay in raster
 * order and later layers see them with their original positions (as FastV does).
 *
 * <p>Choices where the paper is silent (documented so results can be compared): the instruction
 * tokens are every prompt row after the image (the question and the template's
 * {@code ASSISTANT:}); with no text after the image the last prompt token is used alone, which
 * makes IVTP coincide with FastV.
 *
 * <p>Multi-layer fusion: with {@code scoreLayers} l1 < l2 < ... < K the importance is the weighted
 * mean of each layer's importance (weights {@code scoreWeights}, equal by default); the layers run in
 * segments with a probe at the end of each, so no layer is computed twice.
 *
 * <p>Progressive two-stage schedule: with {@code secondLayer} K2 > K, the {@code keep} tokens left after
 * the first cut are ranked again by the instruction tokens' attention in layer K2-1 and
 * {@code secondKeep} of them go on from layer K2 (original positions throughout). The paper's pruning
 * inside the vision tower is not implemented (the public material is too thin to reproduce it).
 */
public record Ivtp(int layer, int keep, int[] scoreLayers, double[] scoreWeights, int secondLayer, int secondKeep) implements LayerMethod {
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
                        + ", got " + java.util.Arrays.toString(scoreLayers));
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

    @Override
    public boolean equals(Object o) {
        return o instanceof Ivtp other && layer == other.layer && keep == other.keep && secondLayer == other.secondLayer
                && secondKeep == other.secondKeep && java.util.Arrays.equals(scoreLayers, other.scoreLayers) && java.util.Arrays.equals(scoreWeights, other.scoreWeights);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(layer, keep, secondLayer, secondKeep, java.util.Arrays.hashCode(scoreLayers), java.util.Arrays.hashCode(scoreWeights));
    }

    @Override
    public String toString() {
        return "IVTP(k=" + layer + ", keep=" + keep + ", layers=" + java.util.Arrays.toString(scoreLayers) + ", weights="
                + java.util.Arrays.toString(scoreWeights) + (secondLayer == 0 ? "" : ", k2=" + secondLayer + ", keep2=" + secondKeep) + ")";
    }

    @Override
    public int[] queryRows(int length, int imageStart, int imageRows) {
        int first = imageStart + imageRows;
        if (first >= length) {
            return new int[] {length - 1};
        }
        return java.util.stream.IntStream.range(first, length).toArray();
    }
}
