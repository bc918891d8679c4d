package dev.sieve.pruning;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * VisPruner — Zhang et al., "Beyond Text-Visual Attention: Exploiting Visual Cues for Effective
 * Token Pruning in VLMs" (ICCV 2025); reference code {@code Theia-4869/VisPruner},
 * {@code LlavaMetaForCausalLM.encode_images}.
 *
 * <p>Important tokens: the {@code int(keep * importantRatio)} with the highest [CLS] attention.
 * Diverse tokens from the rest R, kept in descending-attention order: repeatedly split R into
 * alternating halves Ra = R[0::2], Rb = R[1::2], score each token of Ra by its highest cosine
 * similarity to Rb, and drop the {@code min(8, |R| - T_div, |Ra|)} most similar ones, until |R| =
 * T_div. The official loop crashes or silently drops a token when |R| is odd or small (its batch
 * index has the wrong length); this is the rule it evidently means, which the goldens follow
 * (see PRUNING-GOLDENS.md, adaptation 1).
 */
public record VisPruner(int keep, double importantRatio) implements VisionMethod {
    /** Spec options: keep=N|RATIO[,important=0.5]. */
    public static final String USAGE = "keep=N|RATIO[,important=0.5]";

    /** The stage for spec {@code vispruner:keep=N|RATIO[,important=0.5]}. */
    public static VisPruner fromSpec(PruneSpec spec, dev.sieve.pruning.pipeline.ModelShape shape, int visualTokens) {
        spec.requireKeys(java.util.List.of("keep"), "important");
        return new VisPruner(spec.budget("keep", visualTokens), spec.ratio("important", 0.5));
    }

    @Override
    public String name() {
        return "vispruner";
    }

    private static final int MAX_REMOVED_PER_ROUND = 8;

    /** The kept tokens split by the way they were chosen (both sorted). */
    public record Selection(int[] important, int[] diverse, int[] kept) {}

    @Override
    public Stage stage() {
        return Stage.VISION;
    }

    @Override
    public int[] select(VisionSignals signals) {
        return selectWithReasons(signals).kept();
    }

    public Selection selectWithReasons(VisionSignals s) {
        int tokens = s.tokens();
        if (keep < 0 || keep > tokens) {
            throw new IllegalArgumentException("cannot keep " + keep + " of " + tokens + " tokens");
        }
        int important = (int) (keep * importantRatio);
        int diverse = keep - important;
        float[] attention = s.clsAttention();
        Integer[] order = IntStream.range(0, tokens).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -attention[i]).thenComparingInt(i -> i));
        float[] unit = normalizedRows(s.features(), tokens, s.dim());
        List<Integer> rest = new ArrayList<>(Arrays.asList(order).subList(important, tokens));
        while (diverse > 0) {
            int remove = Math.min(MAX_REMOVED_PER_ROUND, rest.size() - diverse);
            if (remove <= 0) {
                break;
            }
            List<Integer> a = new ArrayList<>();
            List<Integer> b = new ArrayList<>();
            for (int i = 0; i < rest.size(); i++) {
                (i % 2 == 0 ? a : b).add(rest.get(i));
            }
            float[] similarity = new float[a.size()];
            for (int i = 0; i < a.size(); i++) {
                float best = Float.NEGATIVE_INFINITY;
                for (int j : b) {
                    best = Math.max(best, dot(unit, a.get(i), j, s.dim()));
                }
                similarity[i] = best;
            }
            Integer[] bySimilarity = IntStream.range(0, a.size()).boxed().toArray(Integer[]::new);
            Arrays.sort(bySimilarity, Comparator.comparingDouble((Integer i) -> -similarity[i]).thenComparingInt(i -> i));
            List<Integer> next = new ArrayList<>();
            for (int i = Math.min(remove, a.size()); i < a.size(); i++) {
                next.add(a.get(bySimilarity[i]));
            }
            next.addAll(b);
            rest = next;
        }
        int[] importantIdx = Arrays.stream(order, 0, important).mapToInt(Integer::intValue).sorted().toArray();
        int[] diverseIdx = rest.stream().mapToInt(Integer::intValue).sorted().toArray();
        int[] kept = IntStream.concat(Arrays.stream(importantIdx), Arrays.stream(diverseIdx)).sorted().toArray();
        return new Selection(importantIdx, diverseIdx, kept);
    }

    /** Rows divided by their L2 norm, in float as the reference does. */
    static float[] normalizedRows(float[] x, int rows, int dim) {
        float[] out = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < dim; c++) {
                sum += (double) x[r * dim + c] * x[r * dim + c];
            }
            float norm = (float) Math.sqrt(sum);
            for (int c = 0; c < dim; c++) {
                out[r * dim + c] = x[r * dim + c] / norm;
            }
        }
        return out;
    }

    static float dot(float[] unit, int i, int j, int dim) {
        double sum = 0;
        for (int c = 0; c < dim; c++) {
            sum += (double) unit[i * dim + c] * unit[j * dim + c];
        }
        return (float) sum;
    }
}
