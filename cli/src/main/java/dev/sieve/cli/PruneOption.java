package dev.sieve.cli;

import dev.sieve.llava.LlavaConfig;
import dev.sieve.pruning.PrunePlan;
import dev.sieve.pruning.PruneSpec;
import dev.sieve.pruning.pipeline.ModelShape;

/** The {@code --prune SPEC} option shared by the commands: parsed early, resolved against the model once its config is read. */
final class PruneOption {
    /** For option descriptions (annotation values must be constants); the full list comes with any error. */
    static final String HELP = "pruning plan: stages in flow order joined by '+', e.g. vispruner:keep=64+fastv:k=2,keep=32"
            + " or ivtp-vit:keep=288+ivtp:k=8,keep=64 (default: none); methods: ivtp-vit, vispruner, fastervlm, visionzip, random, uniform,"
            + " divprune, fastv, ivtp, pdrop, sparsevlm, lvpruning; a bad spec lists every method's options";

    private final String spec;

    /** Parses {@code spec}; a bad one is a one-line {@link UserInputException} listing what is accepted. */
    PruneOption(String spec) {
        this.spec = spec;
        try {
            PruneSpec.parseAll(spec);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--prune " + spec + ": " + e.getMessage());
        }
    }

    String spec() {
        return spec;
    }

    /** The plan as the model runs it, with budgets checked against its image tokens and layers. */
    PrunePlan resolve(LlavaConfig config, java.nio.file.Path modelDir) {
        ModelShape shape = dev.sieve.llava.Llava.shapeOf(config, modelDir);
        try {
            return PrunePlan.parse(spec, shape);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--prune " + spec + ": " + e.getMessage());
        }
    }
}
