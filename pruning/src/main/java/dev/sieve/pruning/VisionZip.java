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
import java.util.List;

/**
 * VisionZip — Yang et al., "VisionZip: Longer is Better but Not Necessary in Vision Language
 * Models" (CVPR 2025); reference code {@code dvlab-research/VisionZip},
 * {@code CLIPVisionTower_VisionZip.forward}.
 *
 * <p>Works on the feature layer's output <b>with</b> the [CLS] row (1 + P rows). Dominant: [CLS]
 * plus the {@code dominant - 1} patches the [CLS] row attends to most (head-summed, index order).
 * Contextual: the remaining patches, compared on that layer's keys averaged over heads (L2
 * normalised); targets are every {@code max(1, rest / contextual)}-th of them (the first
 * {@code contextual}); every other remaining patch joins its most similar target (first index on
 * ties) and a contextual token is its target plus the mean of its assigned patches. Output rows:
 * [CLS, dominant patches in raster order, contextual tokens] — {@code dominant + contextual} rows
 * that replace the image features (they go through the projector).
 *
 * @param dominant tokens kept as they are, counting [CLS] (the official 64-token setting: 54)
 * @param contextual merged tokens (official: 10)
 */
public record VisionZip(int dominant, int contextual) implements PruningStage {
    public static final String USAGE = "dominant=54,contextual=10|keep=64";

    public VisionZip {
        if (dominant < 1 || contextual < 1) {
            throw new IllegalArgumentException("VisionZip needs dominant >= 1 (it counts [CLS]) and contextual >= 1");
        }
    }

    public static VisionZip fromSpec(PruneSpec spec, ModelShape shape, int visualTokens) {
        VisionZip zip;
        if (spec.has("keep")) {
            spec.requireKeys(List.of("keep"));
            zip = forBudget(spec.budget("keep", visualTokens));
        } else {
            spec.requireKeys(List.of("dominant", "contextual"));
            zip = new VisionZip(spec.integer("dominant"), spec.integer("contextual"));
        }
        if (zip.dominant() - 1 + zip.contextual() > visualTokens) {
            throw new IllegalArgumentException("visionzip " + zip.dominant() + "+" + zip.contextual() + " needs more than the " + visualTokens
                    + " image tokens");
        }
        return zip;
    }

    @Override
    public String name() {
        return "visionzip";
    }

    @Override
    public List<Hook> hooks(ModelShape shape) {
        return List.of(Hook.visionOutput());
    }

    @Override
    public boolean appendsRows() {
        return true;
    }

    @Override
    public int visualTokensAfter(int entering) {
        return dominant + contextual;
    }

    /** The feature layer's [CLS] attention, every row's output and the layer's keys. */
    @Override
    public SignalRequest wants(Hook hook, SequenceView view) {
        return SignalRequest.attentionOf(view.rowsWith(Role.CLS)).andHidden(allRows(view)).andKeys();
    }

    /**
     * Replaces the image rows (and [CLS]) by [CLS, dominant patches, contextual tokens]: every row is
     * appended, dominant ones carrying their patch index, contextual ones marked merged.
     */
    @Override
    public Decision decide(Hook hook, SequenceView view, Signals signals) {
        int[] cls = view.rowsWith(Role.CLS);
        if (cls.length != 1 || cls[0] != 0) {
            throw new IllegalArgumentException("visionzip needs the vision tower's [CLS] row first");
        }
        int[] visual = view.visualRows();
        int[] rows = allRows(view);
        Result r = apply(signals.hidden(rows), signals.hiddenDim(), signals.attentionOf(0, visual), signals.keys(rows), signals.keyDim());
        int[] origins = new int[dominant + contextual];
        origins[0] = SequenceView.CLASS_TOKEN;
        for (int i = 0; i < r.dominantIndices().length; i++) {
            origins[1 + i] = view.origin(visual[r.dominantIndices()[i]]);
        }
        java.util.Arrays.fill(origins, dominant, origins.length, SequenceView.MERGED);
        return new Decision(new int[0], null, null, PositionRule.REINDEX, visual, signals.attentionOf(0, visual)).appending(r.tokens(), origins);
    }

    private static int[] allRows(SequenceView view) {
        return java.util.stream.IntStream.range(0, view.rows()).toArray();
    }

    /** The official split of a budget B: C = max(1, ceil(B * 10 / 64)), D = B - C. */
    public static VisionZip forBudget(int budget) {
        int c = Math.max(1, (int) Math.ceil(budget * 10 / 64.0));
        return new VisionZip(budget - c, c);
    }

    /**
     * @param dominantIndices patch indices kept as they are (sorted)
     * @param targetIndices patch indices of the merge targets
     * @param mergedIndices the other remaining patches, raster order
     * @param assignment target slot of each merged patch
     * @param tokens the output rows, (dominant + contextual) x dim
     */
    public record Result(int[] dominantIndices, int[] targetIndices, int[] mergedIndices, int[] assignment, float[] tokens) {}

    /**
     * @param hidden the feature layer's output, (1 + P) x dim, row 0 = [CLS]
     * @param clsAttention the [CLS] row's attention to the P patches (any positive multiple of the head sum ranks the same)
     * @param keys the feature layer's keys averaged over heads, (1 + P) x keyDim, row 0 = [CLS]
     */
    public Result apply(float[] hidden, int dim, float[] clsAttention, float[] keys, int keyDim) {
        int patches = clsAttention.length;
        if (dominant - 1 + contextual > patches) {
            throw new IllegalArgumentException("VisionZip " + dominant + "+" + contextual + " needs more than the " + patches + " patches");
        }
        int[] dominantIdx = TopK.largestSorted(clsAttention, dominant - 1);
        boolean[] isDominant = new boolean[patches];
        for (int i : dominantIdx) {
            isDominant[i] = true;
        }
        int[] rest = java.util.stream.IntStream.range(0, patches).filter(i -> !isDominant[i]).toArray();
        int step = Math.max(1, rest.length / contextual);
        int[] targetSlots = new int[contextual];
        boolean[] isTarget = new boolean[rest.length];
        for (int t = 0; t < contextual; t++) {
            targetSlots[t] = t * step;
            isTarget[t * step] = true;
        }
        float[] unit = new float[rest.length * keyDim];
        for (int r = 0; r < rest.length; r++) {
            double sum = 0;
            for (int c = 0; c < keyDim; c++) {
                float v = keys[(1 + rest[r]) * keyDim + c];
                sum += (double) v * v;
            }
            float norm = (float) Math.sqrt(sum);
            for (int c = 0; c < keyDim; c++) {
                unit[r * keyDim + c] = keys[(1 + rest[r]) * keyDim + c] / norm;
            }
        }
        int merged = rest.length - contextual;
        int[] mergedIdx = new int[merged];
        int[] assignment = new int[merged];
        double[][] sums = new double[contextual][dim];
        int[] counts = new int[contextual];
        int m = 0;
        for (int r = 0; r < rest.length; r++) {
            if (isTarget[r]) {
                continue;
            }
            int best = 0;
            float bestSimilarity = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < contextual; t++) {
                float s = VisPruner.dot(unit, r, targetSlots[t], keyDim);
                if (s > bestSimilarity) {
                    bestSimilarity = s;
                    best = t;
                }
            }
            mergedIdx[m] = rest[r];
            assignment[m++] = best;
            counts[best]++;
            for (int c = 0; c < dim; c++) {
                sums[best][c] += hidden[(1 + rest[r]) * dim + c];
            }
        }
        float[] tokens = new float[(dominant + contextual) * dim];
        System.arraycopy(hidden, 0, tokens, 0, dim); // [CLS]
        for (int i = 0; i < dominantIdx.length; i++) {
            System.arraycopy(hidden, (1 + dominantIdx[i]) * dim, tokens, (1 + i) * dim, dim);
        }
        int[] targetIdx = new int[contextual];
        for (int t = 0; t < contextual; t++) {
            targetIdx[t] = rest[targetSlots[t]];
            int row = dominant + t;
            for (int c = 0; c < dim; c++) {
                tokens[row * dim + c] = hidden[(1 + targetIdx[t]) * dim + c] + (float) (sums[t][c] / Math.max(1, counts[t]));
            }
        }
        return new Result(dominantIdx, targetIdx, mergedIdx, assignment, tokens);
    }
}
