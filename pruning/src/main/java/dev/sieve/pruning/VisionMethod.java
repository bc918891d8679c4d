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
 * A stage that keeps a subset of the visual tokens once, before the language model sees them: at
 * the vision tower's output (from the feature layer's [CLS] attention and features; only kept rows
 * go through the projector) or after the projector (from the projected rows). Implementing
 * {@link #select} is all such a method needs; the kept rows are re-indexed, as LLaVA splices them.
 */
public interface VisionMethod extends PruningStage {
    /** Where the method acts: on the vision tower's features (before the projector) or on the projected rows. */
    enum Stage { VISION, PROJECTED }

    Stage stage();

    /** Visual tokens kept. */
    int keep();

    /** Kept token indices (into the signals' tokens), sorted ascending. */
    int[] select(VisionSignals signals);

    @Override
    default List<Hook> hooks(ModelShape shape) {
        return List.of(stage() == Stage.VISION ? Hook.visionOutput() : Hook.projected());
    }

    @Override
    default SignalRequest wants(Hook hook, SequenceView view) {
        int[] patches = view.visualRows();
        return stage() == Stage.VISION ? SignalRequest.attentionOf(view.rowsWith(Role.CLS)).andHidden(patches) : SignalRequest.hiddenOf(patches);
    }

    @Override
    default Decision decide(Hook hook, SequenceView view, Signals signals) {
        int[] rows = view.visualRows();
        if (keep() > rows.length) {
            throw new IllegalArgumentException(name() + ": cannot keep " + keep() + " of the " + rows.length + " visual tokens");
        }
        float[] cls = stage() == Stage.VISION ? signals.attentionOf(0, rows) : null;
        int[] kept = select(new VisionSignals(cls, signals.hidden(rows), signals.hiddenDim()));
        return Decision.keepVisual(view, kept, PositionRule.REINDEX, cls);
    }

    @Override
    default int visualTokensAfter(int entering) {
        return keep();
    }
}
