package dev.sieve.pruning;

import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PruningStage;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Pruning methods by spec name. A new method is one file implementing {@link PruningStage} plus one
 * {@link #register} line (here for the built-ins; anywhere before parsing for your own).
 */
public final class StageRegistry {
    /** Builds a stage from its spec for a model, given the visual tokens entering it; throws IllegalArgumentException with one line. */
    @FunctionalInterface
    public interface Factory {
        PruningStage create(PruneSpec spec, ModelShape shape, int visualTokens);
    }

    private record Method(String usage, Factory factory) {}

    private static final Map<String, Method> METHODS = new LinkedHashMap<>();

    static {
        register("ivtp-vit", IvtpVit.USAGE, IvtpVit::fromSpec);
        register("vispruner", VisPruner.USAGE, VisPruner::fromSpec);
        register("fastervlm", FasterVlm.USAGE, FasterVlm::fromSpec);
        register("visionzip", VisionZip.USAGE, VisionZip::fromSpec);
        register("random", RandomBaseline.USAGE, RandomBaseline::fromSpec);
        register("uniform", UniformBaseline.USAGE, UniformBaseline::fromSpec);
        register("divprune", DivPrune.USAGE, DivPrune::fromSpec);
        register("fastv", FastV.USAGE, FastV::fromSpec);
        register("ivtp", Ivtp.USAGE, Ivtp::fromSpec);
        register("pdrop", PyramidDrop.USAGE, PyramidDrop::fromSpec);
        register("sparsevlm", SparseVlm.USAGE, SparseVlm::fromSpec);
        register("lvpruning", LvPruning.USAGE, LvPruning::fromSpec);
    }

    private StageRegistry() {}

    /** Registers (or replaces) the method {@code name}; {@code usage} is its option syntax, e.g. {@code keep=N|RATIO}. */
    public static synchronized void register(String name, String usage, Factory factory) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9-]*") || name.equals("none")) {
            throw new IllegalArgumentException("a method name is lower-case letters, digits and '-', not 'none': " + name);
        }
        METHODS.put(name, new Method(usage, factory));
    }

    public static synchronized boolean contains(String name) {
        return METHODS.containsKey(name);
    }

    /** The option syntax of {@code name}. */
    public static synchronized String usage(String name) {
        Method m = METHODS.get(name);
        return m == null ? "" : m.usage();
    }

    /** Every method and its syntax, for messages. */
    public static synchronized String accepted() {
        return "none, " + METHODS.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue().usage()).collect(Collectors.joining(", "))
                + "; stages joined by '+' in flow order; any stage also takes positions=original|reindex";
    }

    static synchronized PruningStage create(PruneSpec spec, ModelShape shape, int visualTokens) {
        Method m = METHODS.get(spec.method());
        if (m == null) {
            throw new IllegalArgumentException("unknown method '" + spec.method() + "'; accepted: " + accepted());
        }
        return m.factory().create(spec, shape, visualTokens);
    }
}
