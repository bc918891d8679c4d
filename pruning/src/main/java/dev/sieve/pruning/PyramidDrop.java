package dev.sieve.pruning;

import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.PruningStage;
import dev.sieve.pruning.pipeline.SequenceView;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import java.util.Arrays;
import java.util.List;

/**
 * PyramidDrop — Xing et al., "PyramidDrop: Accelerating Your Large Vision-Language Models via
 * Pyramid Visual Redundancy Reduction" (CVPR 2025); reference code {@code Cooperx521/PyramidDrop},
 * {@code LlamaModel.pdrop_rank_drop} / {@code pdrop_forward}.
 *
 * <p>Drops visual tokens in stages inside the LLM: before each layer {@code l} of {@code layers},
 * that layer's own input norm, q and k projections and RoPE are applied to the current sequence and
 * the last prompt token's attention (softmax in float32, mean over query heads) ranks the image
 * tokens still present; {@code int(P * ratios[s])} of the original P stay (raster order), and
 * positions are re-indexed contiguously after every drop. With a KV cache each layer keeps what it
 * saw at prefill and decodes at the next position after its own shortened prompt.
 *
 * @param layers the layers before which a stage drops tokens, increasing (the official 7B setting is 8/16/24)
 * @param ratios fraction of the original image tokens each stage keeps, non-increasing (0.5/0.25/0.125)
 */
public record PyramidDrop(int[] layers, double[] ratios) implements PruningStage {
    public static final String USAGE = "layers=8/16/24,ratios=0.5/0.25/0.125";

    public PyramidDrop {
        if (layers.length == 0 || layers.length != ratios.length) {
            throw new IllegalArgumentException("PyramidDrop needs one ratio per layer, got layers " + Arrays.toString(layers)
                    + " and ratios " + Arrays.toString(ratios));
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 1 || (i > 0 && layers[i] <= layers[i - 1])) {
                throw new IllegalArgumentException("PyramidDrop layers must be increasing and >= 1: " + Arrays.toString(layers));
            }
            if (!(ratios[i] >= 0 && ratios[i] <= 1) || (i > 0 && ratios[i] > ratios[i - 1])) {
                throw new IllegalArgumentException("PyramidDrop ratios must be in [0, 1] and non-increasing: " + Arrays.toString(ratios));
            }
        }
        layers = layers.clone();
        ratios = ratios.clone();
    }

    public static PyramidDrop fromSpec(PruneSpec spec, ModelShape shape, int visualTokens) {
        spec.requireKeys(List.of("layers", "ratios"));
        int[] layers = spec.integers("layers");
        for (int l : layers) {
            if (l >= shape.textLayers()) {
                throw new IllegalArgumentException("pdrop layer " + l + " must be below the model's " + shape.textLayers() + " LLM layers");
            }
        }
        return new PyramidDrop(layers, spec.numbers("ratios"));
    }

    @Override
    public String name() {
        return "pdrop";
    }

    /** Before each drop layer: the look-ahead of that layer's attention ranks the tokens. */
    @Override
    public List<Hook> hooks(ModelShape shape) {
        return Arrays.stream(layers).mapToObj(Hook::beforeLlmLayer).toList();
    }

    @Override
    public PruningStage begin() {
        return new Run();
    }

    @Override
    public int visualTokensAfter(int entering) {
        return keptAt(layers.length - 1, entering);
    }

    /** One request: remembers P, the image tokens the LLM received, which every stage's ratio is of. */
    private final class Run implements PruningStage {
        private int imageTokens = -1;

        @Override
        public String name() {
            return PyramidDrop.this.name();
        }

        @Override
        public List<Hook> hooks(ModelShape shape) {
            return PyramidDrop.this.hooks(shape);
        }

        /** The last prompt token's row, as the drop layer would compute it. */
        @Override
        public SignalRequest wants(Hook hook, SequenceView view) {
            return SignalRequest.attentionOf(view.lastRow());
        }

        @Override
        public Decision decide(Hook hook, SequenceView view, Signals signals) {
            int[] visual = view.visualRows();
            if (imageTokens < 0) {
                imageTokens = visual.length;
            }
            int stage = Arrays.binarySearch(layers, hook.layer());
            float[] scores = signals.attentionOf(0, visual);
            return Decision.keepVisual(view, select(stage, scores, imageTokens), PositionRule.REINDEX, scores);
        }
    }

    /** Image tokens kept by stage {@code stage} out of the original {@code imageTokens}: int(P * ratio), as the reference truncates. */
    public int keptAt(int stage, int imageTokens) {
        return (int) (imageTokens * ratios[stage]);
    }

    /** Positions (into {@code candidateScores}) kept at {@code stage}, sorted. */
    public int[] select(int stage, float[] candidateScores, int imageTokens) {
        return TopK.largestSorted(candidateScores, keptAt(stage, imageTokens));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PyramidDrop p && Arrays.equals(layers, p.layers) && Arrays.equals(ratios, p.ratios);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(layers) + Arrays.hashCode(ratios);
    }

    @Override
    public String toString() {
        return "PyramidDrop" + Arrays.toString(layers) + Arrays.toString(ratios);
    }
}
