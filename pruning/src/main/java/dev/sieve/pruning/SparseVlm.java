package dev.sieve.pruning;

import java.util.Arrays;

/**
 * SparseVLM — Zhang et al., "SparseVLM: Visual Token Sparsification for Efficient Vision-Language Model
 * Inference" (ICML 2025); reference code {@code Gumpest/SparseVLMs} branch v1.5
 * ({@code modelling_sparse_llama.py}, {@code score.py}, {@code utils.cluster_and_merge}).
 *
 * <p>Text raters, chosen once from the LLM input embeddings: with V the visual rows and T the rows
 * after the image, {@code softmax(V Tᵀ)} over T, averaged over V, scores each text token; those
 * scoring strictly above the mean rate. At each pruning layer L (0-based; 2, 6, 15 for LLaVA-1.5-7B)
 * the layer runs in full, its attention probabilities (mean over heads) from the raters to the
 * current visual tokens, averaged over raters, rank them, and the top {@code counts[s]} (at most all
 * but one) stay in sequence order. Recycling: of the tokens pruned there, the {@code int(0.3 n)+1}
 * best-scored are clustered by DPC-kNN ({@code int(m/10)+1} clusters, k = cluster count, distance
 * ‖x−y‖/√C of layer L's output) and each cluster's mean is inserted right after the kept visual
 * tokens, in centre order; merged tokens compete at later layers. Layer L+1 is the first to see the
 * shorter sequence; positions are re-indexed and each layer decodes after its own cached prompt.
 *
 * <p>Differences from the reference, documented: float32 instead of fp16; the reference adds
 * {@code rand·1e-6} to the densities (no seed) to order equal ones — we order them by index instead.
 * Budgets 192/128/64 map to the reference's per-layer counts [300,200,110], [303,110,36], [66,30,17]
 * for 576 visual tokens; other models give {@code layers} and {@code counts} explicitly.
 *
 * @param layers the pruning layers (0-based, increasing)
 * @param counts visual tokens kept by top-k at each of them (recycled tokens come on top)
 */
public record SparseVlm(int[] layers, int[] counts) {
    public SparseVlm {
        if (layers.length == 0 || layers.length != counts.length) {
            throw new IllegalArgumentException("SparseVLM needs one count per layer, got layers " + Arrays.toString(layers) + " and counts "
                    + Arrays.toString(counts));
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || (i > 0 && layers[i] <= layers[i - 1]) || counts[i] < 0) {
                throw new IllegalArgumentException("SparseVLM layers must be increasing and >= 0, counts >= 0: " + Arrays.toString(layers)
                        + " " + Arrays.toString(counts));
            }
        }
        layers = layers.clone();
        counts = counts.clone();
    }

    /** The reference's schedule for a budget of 192, 128 or 64 of LLaVA-1.5's 576 visual tokens (pruning layers 2, 6, 15). */
    public static SparseVlm forBudget(int budget) {
        int[] counts = switch (budget) {
            case 192 -> new int[] {300, 200, 110};
            case 128 -> new int[] {303, 110, 36};
            case 64 -> new int[] {66, 30, 17};
            default -> throw new IllegalArgumentException("SparseVLM budgets are 192, 128 or 64 (the reference's schedules); "
                    + "give layers=L1/L2/..,counts=N1/N2/.. for others");
        };
        return new SparseVlm(new int[] {2, 6, 15}, counts);
    }

    /**
     * The raters: offsets (into the text rows) of the text tokens whose mean softmax(V Tᵀ) score over the
     * visual rows is strictly above the mean score.
     */
    public static int[] raters(float[] visual, int visualRows, float[] text, int textRows, int dim) {
        double[] score = new double[textRows];
        double[] row = new double[textRows];
        for (int v = 0; v < visualRows; v++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < textRows; t++) {
                double dot = 0;
                for (int c = 0; c < dim; c++) {
                    dot += visual[v * dim + c] * text[t * dim + c];
                }
                row[t] = dot;
                max = Math.max(max, dot);
            }
            double sum = 0;
            for (int t = 0; t < textRows; t++) {
                row[t] = Math.exp(row[t] - max);
                sum += row[t];
            }
            for (int t = 0; t < textRows; t++) {
                score[t] += row[t] / sum / visualRows;
            }
        }
        double mean = Arrays.stream(score).average().orElse(0);
        return java.util.stream.IntStream.range(0, textRows).filter(t -> score[t] > mean).toArray();
    }

    /** Visual tokens kept at stage {@code stage} (indices into {@code scores}, sorted): the top min(count, n-1). */
    public int[] select(int stage, float[] scores) {
        int keep = Math.max(0, Math.min(counts[stage], scores.length - 1));
        return TopK.largestSorted(scores, keep);
    }

    /** Indices (into {@code scores}) of the pruned tokens to recycle: the int(0.3·n)+1 best of the n pruned, best first. */
    public static int[] recycled(float[] scores, int[] kept) {
        boolean[] isKept = new boolean[scores.length];
        for (int k : kept) {
            isKept[k] = true;
        }
        int[] pruned = java.util.stream.IntStream.range(0, scores.length).filter(i -> !isKept[i]).toArray();
        if (pruned.length == 0) {
            return new int[0];
        }
        int m = Math.min(pruned.length, (int) (pruned.length * 0.3) + 1);
        float[] prunedScores = new float[pruned.length];
        for (int i = 0; i < pruned.length; i++) {
            prunedScores[i] = scores[pruned[i]];
        }
        return Arrays.stream(TopK.largestFirst(prunedScores, m)).map(i -> pruned[i]).toArray();
    }

    /** Cluster means of {@code rows} (m rows of {@code dim}) by DPC-kNN with int(m/10)+1 clusters, centre order. */
    public static float[] merge(float[] rows, int m, int dim) {
        int clusters = m / 10 + 1;
        double[][] dist = new double[m][m];
        double maxDist = 0;
        double norm = Math.sqrt(dim);
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                double s = 0;
                for (int c = 0; c < dim; c++) {
                    double d = rows[i * dim + c] - rows[j * dim + c];
                    s += d * d;
                }
                dist[i][j] = dist[j][i] = Math.sqrt(s) / norm;
                maxDist = Math.max(maxDist, dist[i][j]);
            }
        }
        int k = Math.min(clusters, m);
        double[] density = new double[m];
        for (int i = 0; i < m; i++) {
            double[] sorted = dist[i].clone();
            Arrays.sort(sorted);  // includes the point itself at distance 0, as the reference's topk does
            double sq = 0;
            for (int j = 0; j < k; j++) {
                sq += sorted[j] * sorted[j];
            }
            density[i] = Math.exp(-sq / k);
        }
        float[] centreScore = new float[m];
        for (int i = 0; i < m; i++) {
            double delta = maxDist;
            boolean denser = false;
            for (int j = 0; j < m; j++) {
                // "Denser": higher density, or equal density and a lower index — a strict order, the deterministic
                // stand-in for the reference's rand·1e-6 tie-breaking noise.
                if (density[j] > density[i] || (density[j] == density[i] && j < i)) {
                    delta = denser ? Math.min(delta, dist[i][j]) : dist[i][j];
                    denser = true;
                }
            }
            centreScore[i] = (float) (delta * density[i]);
        }
        int[] centres = TopK.largestFirst(centreScore, k);
        float[] merged = new float[k * dim];
        int[] members = new int[k];
        for (int i = 0; i < m; i++) {
            int best = 0;
            for (int c = 0; c < k; c++) {
                if (centres[c] == i) {
                    best = c;
                    break;
                }
                if (dist[i][centres[c]] < dist[i][centres[best]]) {
                    best = c;
                }
            }
            members[best]++;
            for (int c = 0; c < dim; c++) {
                merged[best * dim + c] += rows[i * dim + c];
            }
        }
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < dim; j++) {
                merged[c * dim + j] /= members[c];
            }
        }
        return merged;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SparseVlm s && Arrays.equals(layers, s.layers) && Arrays.equals(counts, s.counts);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(layers) + Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "SparseVLM" + Arrays.toString(layers) + Arrays.toString(counts);
    }
}
