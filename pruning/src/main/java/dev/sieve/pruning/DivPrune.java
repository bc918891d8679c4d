package dev.sieve.pruning;

import java.util.Arrays;

/**
 * DivPrune — Alvar et al., "DivPrune: Diversity-based Visual Token Pruning for Large Multimodal
 * Models" (CVPR 2025); reference code {@code vbdi/divprune}, {@code LlavaMetaForCausalLM.DivPrune}.
 *
 * <p>On the projected rows: cosine distance D = 1 - x̂x̂ᵀ; the first pick is the token whose
 * nearest neighbour is farthest (second-smallest entry of its column, the smallest being its
 * self-distance); each next pick maximises the minimum distance to the tokens picked so far
 * (max-min diversity). Ties go to the lowest index, as torch.argmax. D is computed once per pair
 * and mirrored, so D[i][j] == D[j][i] exactly: the reference's symmetric D produces exact ties that
 * an asymmetric computation would break the other way.
 */
public record DivPrune(int keep) implements VisionMethod {
    /** Spec options: keep=N|RATIO. */
    public static final String USAGE = "keep=N|RATIO";

    /** The stage for spec {@code divprune:keep=N|RATIO}. */
    public static DivPrune fromSpec(PruneSpec spec, dev.sieve.pruning.pipeline.ModelShape shape, int visualTokens) {
        spec.requireKeys(java.util.List.of("keep"));
        return new DivPrune(spec.budget("keep", visualTokens));
    }

    @Override
    public String name() {
        return "divprune";
    }

    @Override
    public Stage stage() {
        return Stage.PROJECTED;
    }

    @Override
    public int[] select(VisionSignals signals) {
        int[] order = selectionOrder(signals);
        int[] kept = order.clone();
        Arrays.sort(kept);
        return kept;
    }

    /** The tokens in the order they were picked. */
    public int[] selectionOrder(VisionSignals s) {
        int n = s.tokens();
        if (keep < 0 || keep > n) {
            throw new IllegalArgumentException("cannot keep " + keep + " of " + n + " tokens");
        }
        float[] unit = VisPruner.normalizedRows(s.features(), n, s.dim());
        float[][] distance = new float[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                float d = 1f - VisPruner.dot(unit, i, j, s.dim());
                distance[i][j] = d;
                distance[j][i] = d;
            }
        }
        int[] picked = new int[keep];
        float[] minToPicked = new float[n];
        for (int step = 0; step < keep; step++) {
            float[] score = new float[n];
            for (int j = 0; j < n; j++) {
                if (step == 0) {
                    float[] column = new float[n];
                    for (int i = 0; i < n; i++) {
                        column[i] = distance[i][j];
                    }
                    Arrays.sort(column);
                    score[j] = n > 1 ? column[1] : column[0];
                } else {
                    score[j] = minToPicked[j];
                }
            }
            int best = 0;
            for (int j = 1; j < n; j++) {
                if (score[j] > score[best]) {
                    best = j;
                }
            }
            picked[step] = best;
            for (int j = 0; j < n; j++) {
                minToPicked[j] = step == 0 ? distance[best][j] : Math.min(minToPicked[j], distance[best][j]);
            }
        }
        return picked;
    }
}
