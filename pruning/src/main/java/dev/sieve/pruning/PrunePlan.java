package dev.sieve.pruning;

import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.PruningStage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Stages in the order a request flows through them (vision tower, projector, LLM layers), each
 * with an optional position-rule override. Immutable and shareable between requests: the model asks
 * each stage for its per-request copy ({@link PruningStage#begin()}).
 */
public final class PrunePlan {
    /** A stage and its {@code positions=} override (null: the method's own rule). */
    public record Entry(PruningStage stage, PositionRule positions) {}

    public static final PrunePlan NONE = new PrunePlan(List.of(), "none");

    private final List<Entry> entries;
    private final String spec;

    private PrunePlan(List<Entry> entries, String spec) {
        this.entries = List.copyOf(entries);
        this.spec = spec;
    }

    /** A plan of {@code stages} with their own position rules. */
    public static PrunePlan of(PruningStage... stages) {
        return new PrunePlan(Arrays.stream(stages).map(s -> new Entry(s, null)).toList(), describe(Arrays.asList(stages)));
    }

    /** The same stages, every one with the position rule {@code rule}. */
    public PrunePlan withPositions(PositionRule rule) {
        return new PrunePlan(entries.stream().map(e -> new Entry(e.stage(), rule)).toList(), spec);
    }

    /**
     * Builds the plan {@code spec} for a model: each stage from its registered factory, budgets
     * resolved against the visual tokens entering it, then {@link #check}ed. One-line
     * IllegalArgumentException on anything wrong.
     */
    public static PrunePlan parse(String spec, ModelShape shape) {
        List<PruneSpec> specs = PruneSpec.parseAll(spec);
        if (specs.size() == 1 && specs.get(0).method().equals("none")) {
            return NONE;
        }
        List<Entry> entries = new ArrayList<>();
        int visual = shape.imageTokens();
        for (PruneSpec s : specs) {
            PruningStage stage = StageRegistry.create(s, shape, visual);
            entries.add(new Entry(stage, s.positions()));
            visual = stage.visualTokensAfter(visual);
        }
        PrunePlan plan = new PrunePlan(entries, spec.strip());
        plan.check(shape);
        return plan;
    }

    /**
     * Refuses a plan the model cannot run: hooks outside the model, stages out of flow order, an
     * appending stage followed by another at the same hook, positions=original on a stage that
     * appends rows, vision-side hooks with the "full" feature strategy.
     */
    public void check(ModelShape shape) {
        Hook previousLast = null;
        String previousName = null;
        boolean previousAppends = false;
        for (int i = 0; i < entries.size(); i++) {
            PruningStage stage = entries.get(i).stage();
            String name = "stage " + (i + 1) + " (" + stage.name() + ")";
            List<Hook> hooks = stage.hooks(shape);
            if (hooks.isEmpty()) {
                throw new IllegalArgumentException("prune plan '" + spec + "': " + name + " acts nowhere (no hooks)");
            }
            for (int h = 0; h < hooks.size(); h++) {
                Hook hook = hooks.get(h);
                checkInModel(name, hook, shape);
                if (h > 0 && hook.compareTo(hooks.get(h - 1)) <= 0) {
                    throw new IllegalArgumentException("prune plan '" + spec + "': " + name + "'s hooks are not in flow order (" + hooks.get(h - 1)
                            + ", then " + hook + ")");
                }
            }
            if (previousLast != null) {
                int order = hooks.get(0).compareTo(previousLast);
                if (order < 0) {
                    throw new IllegalArgumentException("prune plan '" + spec + "': " + name + " acts " + hooks.get(0) + ", before " + previousName
                            + " is done (" + previousLast + "); write stages in the order a request flows: vision tower, projector, LLM layers");
                }
                if (order == 0 && previousAppends) {
                    throw new IllegalArgumentException("prune plan '" + spec + "': " + name + " acts " + hooks.get(0) + " right after " + previousName
                            + " appended merged rows there, which have no signals at that hook; move it to a later hook");
                }
            }
            if (entries.get(i).positions() == PositionRule.ORIGINAL && stage.appendsRows()) {
                throw new IllegalArgumentException("prune plan '" + spec + "': " + name + " merges tokens into new rows, which have no original"
                        + " position; positions=original is not supported for it");
            }
            previousLast = hooks.get(hooks.size() - 1);
            previousName = name;
            previousAppends = stage.appendsRows();
        }
    }

    private void checkInModel(String name, Hook hook, ModelShape shape) {
        String where = "prune plan '" + spec + "': " + name + " acts " + hook + ", but ";
        switch (hook.kind()) {
            case VISION_LAYER -> {
                if (hook.layer() >= shape.visionLayers()) {
                    throw new IllegalArgumentException(where + "the model runs " + shape.visionLayers() + " vision layers (0.."
                            + (shape.visionLayers() - 1) + ")");
                }
            }
            case BEFORE_LLM_LAYER -> {
                if (hook.layer() >= shape.textLayers()) {
                    throw new IllegalArgumentException(where + "the model has " + shape.textLayers() + " LLM layers (0.." + (shape.textLayers() - 1) + ")");
                }
            }
            case AFTER_LLM_LAYER -> {
                if (hook.layer() >= shape.textLayers() - 1) {
                    throw new IllegalArgumentException(where + "nothing runs after LLM layer " + (shape.textLayers() - 1)
                            + " (the last of " + shape.textLayers() + ")");
                }
            }
            default -> { }
        }
        if (hook.beforeLlm() && shape.imageTokens() != shape.patches()) {
            throw new IllegalArgumentException(where + "pruning before the LLM needs vision_feature_select_strategy \"default\" (patch tokens only)");
        }
    }

    public List<Entry> entries() {
        return entries;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The spec this plan was parsed from (or a description of its stages). */
    public String spec() {
        return spec;
    }

    private static String describe(List<PruningStage> stages) {
        return stages.isEmpty() ? "none" : stages.stream().map(Object::toString).collect(Collectors.joining("+"));
    }

    @Override
    public String toString() {
        return spec;
    }
}
