package dev.sieve.cli;

import dev.sieve.llava.Llava;
import dev.sieve.llava.LlavaConfig;
import dev.sieve.pruning.LayerMethod;
import dev.sieve.pruning.PruneSpec;
import dev.sieve.pruning.PyramidDrop;
import dev.sieve.pruning.SparseVlm;
import dev.sieve.pruning.VisionMethod;
import dev.sieve.pruning.VisionZip;
import java.util.List;

/** The {@code --prune SPEC} option shared by the commands: parsed early, resolved against the model once it is loaded. */
final class PruneOption {
    private final String spec;
    private final List<PruneSpec> stages;

    /** Parses {@code spec}; a bad one is a one-line {@link UserInputException} listing what is accepted. */
    PruneOption(String spec) {
        this.spec = spec;
        try {
            this.stages = PruneSpec.parseAll(spec);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
    }

    String spec() {
        return spec;
    }

    /** The stages as the model runs them, with budgets checked against its image tokens and layers. */
    Llava.Pruning resolve(LlavaConfig config) {
        LayerMethod layerMethod = null;
        PyramidDrop pyramidDrop = null;
        VisionMethod visionMethod = null;
        VisionZip visionZip = null;
        SparseVlm sparseVlm = null;
        int imageTokens = config.vision().patches() + (config.keepClsFeature() ? 1 : 0);
        int layers = config.text().layers();
        Llava.PositionRule positions = Llava.PositionRule.METHOD;
        try {
            for (PruneSpec stage : stages) {
                if (stage.positions() != null) {
                    Llava.PositionRule rule = stage.positions().equals("original") ? Llava.PositionRule.ORIGINAL : Llava.PositionRule.REINDEX;
                    if (positions != Llava.PositionRule.METHOD && positions != rule) {
                        throw new IllegalArgumentException("the stages ask for different positions= rules; give one");
                    }
                    positions = rule;
                }
            }
            for (PruneSpec stage : stages) {
                if (stage.method().equals("visionzip")) {
                    visionZip = stage.visionZip(imageTokens);
                    imageTokens = visionZip.dominant() + visionZip.contextual();
                } else if (stage.isVisionSide()) {
                    visionMethod = stage.visionMethod(imageTokens);
                    imageTokens = visionMethod.keep();
                } else if (stage.method().equals("fastv") || stage.method().equals("ivtp")) {
                    layerMethod = stage.layerMethod(imageTokens, layers);
                } else if (stage.method().equals("pdrop")) {
                    pyramidDrop = stage.pyramidDrop(layers);
                } else if (stage.method().equals("sparsevlm")) {
                    sparseVlm = stage.sparseVlm(imageTokens, layers);
                }
            }
            if (visionZip != null && (layerMethod != null || pyramidDrop != null || sparseVlm != null)) {
                throw new IllegalArgumentException("visionzip merges tokens into new rows; combining it with an LLM-side method is not supported");
            }
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--prune " + spec + ": " + e.getMessage());
        }
        try {
            return new Llava.Pruning(visionMethod, layerMethod, pyramidDrop, visionZip, positions, sparseVlm);
        } catch (dev.sieve.llava.ModelException e) {
            throw new UserInputException("--prune " + spec + ": " + e.getMessage());
        }
    }

    /** Visual tokens the language model ends with after the pruning of {@code g} (for summaries). */
    static int visualTokensAtTheEnd(Llava.Generation g, int imageTokens) {
        if (g.dropStages() != null && !g.dropStages().isEmpty()) {
            return g.dropStages().get(g.dropStages().size() - 1).kept().length;
        }
        if (g.pruned() != null) {
            return g.pruned().keptImageIndices().length;
        }
        if (g.zip() != null) {
            return g.zip().dominantIndices().length + 1 + g.zip().targetIndices().length;
        }
        return g.visionKept() != null ? g.visionKept().length : imageTokens;
    }
}
