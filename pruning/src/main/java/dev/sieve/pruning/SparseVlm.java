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
import java.util.Arrays;
import java.util.List;

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
public record SparseVlm(int[] layers, int[] counts) implements PruningStage {
    public static final String USAGE = "keep=192|128|64 (LLaVA-1.5's 576 tokens) or layers=2/6/15,counts=300/200/110";

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

    public static SparseVlm fromSpec(PruneSpec spec, ModelShape shape, int visualTokens) {
        SparseVlm sv;
        if (spec.has("keep")) {
            spec.requireKeys(List.of("keep"));
            if (visualTokens != 576) {
                throw new IllegalArgumentException("sparsevlm keep= uses the reference schedules for 576 visual tokens; this model has "
                        + visualTokens + ": give layers=L1/L2/..,counts=N1/N2/..");
            }
            sv = forBudget(spec.integer("keep"));
        } else {
            spec.requireKeys(List.of("layers", "counts"));
            int[] l = spec.integers("layers");
            int[] c = spec.integers("counts");
            if (l.length != c.length) {
                throw new IllegalArgumentException("sparsevlm needs one count per layer: layers=" + spec.options().get("layers") + ", counts="
                        + spec.options().get("counts"));
            }
            sv = new SparseVlm(l, c);
        }
        int layers = shape.textLayers();
        if (sv.layers()[sv.layers().length - 1] >= layers - 1) {
            throw new IllegalArgumentException("sparsevlm layers must be below " + (layers - 1) + " (the model has " + layers + " LLM layers)");
        }
        return sv;
    }

    @Override
    public String name() {
        return "sparsevlm";
    }

    /** Before layer 0 (the raters, from the input embeddings), then after each pruning layer. */
    @Override
    public List<Hook> hooks(ModelShape shape) {
        List<Hook> hooks = new ArrayList<>();
        hooks.add(Hook.beforeLlmLayer(0));
        Arrays.stream(layers).forEach(l -> hooks.add(Hook.afterLlmLayer(l)));
        return hooks;
    }

    @Override
    public boolean appendsRows() {
        return true;
    }

    @Override
    public PruningStage begin() {
        return new Run();
    }

    @Override
    public int visualTokensAfter(int entering) {
        return Math.min(entering, counts[counts.length - 1]);
    }

    /** One request: the raters chosen before layer 0 (offsets into the text after the image; -1 for the last row). */
    private final class Run implements PruningStage {
        private int[] raters;

        @Override
        public String name() {
            return SparseVlm.this.name();
        }

        @Override
        public List<Hook> hooks(ModelShape shape) {
            return SparseVlm.this.hooks(shape);
        }

        @Override
        public boolean appendsRows() {
            return true;
        }

        @Override
        public SignalRequest wants(Hook hook, SequenceView view) {
            int[] visual = view.visualRows();
            int[] text = view.rowsWith(Role.TEXT_AFTER);
            if (hook.kind() == Hook.Kind.BEFORE_LLM_LAYER) {
                int[] both = new int[visual.length + text.length];
                System.arraycopy(visual, 0, both, 0, visual.length);
                System.arraycopy(text, 0, both, visual.length, text.length);
                return SignalRequest.hiddenOf(both);
            }
            int textStart = text.length == 0 ? view.rows() : text[0];
            // No text after the image: the one rater is the last row.
            return SignalRequest.attentionOf(Arrays.stream(raters).map(r -> textStart + r).toArray()).andHidden(visual);
        }

        @Override
        public Decision decide(Hook hook, SequenceView view, Signals signals) {
            int[] visual = view.visualRows();
            if (hook.kind() == Hook.Kind.BEFORE_LLM_LAYER) {
                int[] text = view.rowsWith(Role.TEXT_AFTER);
                raters = text.length == 0 ? new int[] {-1}
                        : SparseVlm.raters(signals.hidden(visual), visual.length, signals.hidden(text), text.length, signals.hiddenDim());
                return Decision.KEEP_ALL;
            }
            int stage = Arrays.binarySearch(layers, hook.layer());
            float[] scores = signals.meanAttention(visual);
            int[] kept = select(stage, scores);
            int[] recycle = recycled(scores, kept);
            Decision cut = Decision.keepVisual(view, kept, PositionRule.REINDEX, scores);
            if (recycle.length == 0) {
                return cut;
            }
            int[] recycledRows = Arrays.stream(recycle).map(i -> visual[i]).toArray();
            float[] merged = merge(signals.hidden(recycledRows), recycle.length, signals.hiddenDim());
            int[] origins = new int[merged.length / signals.hiddenDim()];
            Arrays.fill(origins, SequenceView.MERGED);
            return cut.appending(merged, origins);
        }
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
