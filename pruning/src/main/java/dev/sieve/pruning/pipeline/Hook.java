package dev.sieve.pruning.pipeline;

/**
 * A place in a request's flow where a stage may act, in flow order: after CLIP layer i inside the
 * vision tower; at the vision tower's output (after the feature layer, before the projector); after
 * the projector; before LLM layer i (signals look ahead at layer i's attention on its input); after
 * LLM layer i (signals come from layer i's own pass).
 *
 * <p>Layers are 0-based. "After LLM layer i - 1" and "before LLM layer i" are the same place
 * between two layers; the "after" hook comes first, so a look-ahead sees what the "after" stages left.
 */
public record Hook(Kind kind, int layer) implements Comparable<Hook> {
    /** The kinds of place, in flow order. */
    public enum Kind { VISION_LAYER, VISION_OUTPUT, PROJECTED, BEFORE_LLM_LAYER, AFTER_LLM_LAYER }

    public Hook {
        if (kind == null) {
            throw new IllegalArgumentException("a hook needs a kind");
        }
        boolean layered = kind == Kind.VISION_LAYER || kind == Kind.BEFORE_LLM_LAYER || kind == Kind.AFTER_LLM_LAYER;
        if (layered ? layer < 0 : layer != -1) {
            throw new IllegalArgumentException(kind + " hook with layer " + layer + " (layered hooks need layer >= 0, others -1)");
        }
    }

    public static Hook afterVisionLayer(int layer) {
        return new Hook(Kind.VISION_LAYER, layer);
    }

    public static Hook visionOutput() {
        return new Hook(Kind.VISION_OUTPUT, -1);
    }

    public static Hook projected() {
        return new Hook(Kind.PROJECTED, -1);
    }

    public static Hook beforeLlmLayer(int layer) {
        return new Hook(Kind.BEFORE_LLM_LAYER, layer);
    }

    public static Hook afterLlmLayer(int layer) {
        return new Hook(Kind.AFTER_LLM_LAYER, layer);
    }

    /** True for hooks inside or at the end of the vision tower and after the projector (before the LLM). */
    public boolean beforeLlm() {
        return kind == Kind.VISION_LAYER || kind == Kind.VISION_OUTPUT || kind == Kind.PROJECTED;
    }

    /** A number that increases along the flow; equal only for equal hooks. */
    private long order() {
        return switch (kind) {
            case VISION_LAYER -> layer;
            case VISION_OUTPUT -> 1L << 20;
            case PROJECTED -> (1L << 20) + 1;
            case BEFORE_LLM_LAYER -> (1L << 21) + 2L * layer;
            case AFTER_LLM_LAYER -> (1L << 21) + 2L * layer + 1;
        };
    }

    @Override
    public int compareTo(Hook other) {
        return Long.compare(order(), other.order());
    }

    @Override
    public String toString() {
        return switch (kind) {
            case VISION_LAYER -> "after vision layer " + layer;
            case VISION_OUTPUT -> "at the vision tower's output";
            case PROJECTED -> "after the projector";
            case BEFORE_LLM_LAYER -> "before LLM layer " + layer;
            case AFTER_LLM_LAYER -> "after LLM layer " + layer;
        };
    }
}
