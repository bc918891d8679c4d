package dev.sieve.llava;

import dev.sieve.pruning.PrunePlan;
import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.PruningStage;
import dev.sieve.pruning.pipeline.Role;
import dev.sieve.pruning.pipeline.SequenceView;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import dev.sieve.pruning.pipeline.StageResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * A plan's stages for one request: asks them what they want at each hook, merges their requests
 * (so one probe serves every stage at a layer), hands each its signals, applies its decisions and
 * records each cut. Knows no method.
 */
final class StageRuns {
    private record Run(int index, PruningStage stage, PositionRule override, List<Hook> hooks, List<StageResult.Cut> cuts,
                       java.util.Map<Hook, SignalRequest> asked) {}

    private final List<Run> runs = new ArrayList<>();
    private final ModelShape shape;

    StageRuns(PrunePlan plan, ModelShape shape) {
        this.shape = shape;
        try {
            plan.check(shape);
        } catch (IllegalArgumentException e) {
            throw new ModelException(e.getMessage());
        }
        int i = 0;
        for (PrunePlan.Entry e : plan.entries()) {
            PruningStage stage = e.stage().begin();
            runs.add(new Run(++i, stage, e.positions(), stage.hooks(shape), new ArrayList<>(), new java.util.HashMap<>()));
        }
    }

    /** Whether any stage acts at {@code hook}. */
    boolean at(Hook hook) {
        return runs.stream().anyMatch(r -> r.hooks().contains(hook));
    }

    /** Every hook of every stage that satisfies {@code test}, ascending. */
    TreeSet<Hook> hooks(java.util.function.Predicate<Hook> test) {
        TreeSet<Hook> out = new TreeSet<>();
        runs.forEach(r -> r.hooks().stream().filter(test).forEach(out::add));
        return out;
    }

    /** The merged request of every stage acting at {@code hook}, asked on {@code view}: rows ascending and distinct. */
    SignalRequest requests(Hook hook, SequenceView view) {
        TreeSet<Integer> attention = new TreeSet<>();
        TreeSet<Integer> hidden = new TreeSet<>();
        boolean keys = false;
        boolean anyAttention = false;
        boolean anyHidden = false;
        for (Run r : runs) {
            if (!r.hooks().contains(hook)) {
                continue;
            }
            SignalRequest q;
            try {
                q = r.stage().wants(hook, view);
            } catch (IllegalArgumentException e) {
                throw new ModelException(who(r, hook) + ": " + e.getMessage());
            }
            r.asked().put(hook, q);
            if (q.attentionRows() != null) {
                if (hook.kind() == Hook.Kind.PROJECTED) {
                    throw new ModelException(who(r, hook) + " asked for attention, which does not exist after the projector");
                }
                anyAttention = true;
                Arrays.stream(q.attentionRows()).forEach(row -> attention.add(checkRow(r, hook, row, view.rows())));
            }
            if (q.hiddenRows() != null) {
                anyHidden = true;
                Arrays.stream(q.hiddenRows()).forEach(row -> hidden.add(checkRow(r, hook, row, view.rows())));
            }
            if (q.keys() && !hook.beforeLlm()) {
                throw new ModelException(who(r, hook) + " asked for keys, which the model provides inside the vision tower only");
            }
            keys |= q.keys();
        }
        return new SignalRequest(anyAttention ? toArray(attention) : null, anyHidden ? toArray(hidden) : null, keys);
    }

    /**
     * Lets each stage at {@code hook} decide, in plan order, on {@code rows} and {@code x} (rows x dim);
     * returns the new hidden rows. {@code signals} were computed on the rows as they were when the
     * hook's layer ran; they follow each cut.
     */
    float[] decide(List<Hook> point, SequenceRows rows, float[] x, int dim, Signals signals) {
        for (Hook hook : point) {
            for (Run r : runs) {
                if (r.hooks().contains(hook)) {
                    x = decideOne(r, hook, rows, x, dim, signals);
                    signals = remapped;
                }
            }
        }
        return x;
    }

    /** The signals after the last {@link #decideOne}, following its cut. */
    private Signals remapped;

    private float[] decideOne(Run r, Hook hook, SequenceRows rows, float[] x, int dim, Signals signals) {
        remapped = signals;
        SequenceView view = rows.view(hook, dim, shape);
        SignalRequest asked = r.asked().getOrDefault(hook, SignalRequest.NONE);
        Decision d;
        try {
            // Each stage sees only the queries it asked for, in its order, though one probe served every stage here.
            d = r.stage().decide(hook, view, signals.withQueries(asked.attentionRows()));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ModelException(who(r, hook) + ": " + e.getMessage());
        }
        if (d == null || d.keepsAll()) {
            return x;
        }
        PositionRule rule = r.override() != null ? r.override() : d.positions() != null ? d.positions() : PositionRule.REINDEX;
        int[] before = rows.imageOrigins();
        int[] scoredOrigins = d.scoredRows() == null ? before : view.originsOf(d.scoredRows());
        x = rows.apply(d, rule, x, dim, hook, who(r, hook));
        remapped = signals.remapped(rows.lastMap);
        r.cuts().add(new StageResult.Cut(hook, scoredOrigins, d.scores() == null ? null : d.scores().clone(), rows.imageOrigins(),
                rows.rows()));
        return x;
    }

    /** Each stage's result, with the LLM tokens per layer from its first cut on. */
    List<StageResult> results(int[] llmTokensPerLayer) {
        List<StageResult> out = new ArrayList<>();
        for (Run r : runs) {
            int first = r.cuts().isEmpty() ? llmTokensPerLayer.length : firstLlmLayerAfter(r.cuts().get(0).hook());
            out.add(new StageResult(r.stage().name(), List.copyOf(r.cuts()), first,
                    Arrays.copyOfRange(llmTokensPerLayer, first, llmTokensPerLayer.length)));
        }
        return List.copyOf(out);
    }

    private static int firstLlmLayerAfter(Hook hook) {
        return switch (hook.kind()) {
            case BEFORE_LLM_LAYER -> hook.layer();
            case AFTER_LLM_LAYER -> hook.layer() + 1;
            default -> 0;
        };
    }

    private static int checkRow(Run r, Hook hook, int row, int rows) {
        if (row < 0 || row >= rows) {
            throw new ModelException(who(r, hook) + " asked for row " + row + ", outside the sequence's " + rows + " rows");
        }
        return row;
    }

    private static String who(Run r, Hook hook) {
        return "prune stage " + r.index() + " (" + r.stage().name() + ") " + hook;
    }

    private static int[] toArray(TreeSet<Integer> set) {
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Image rows ([CLS] and visual) in {@code rows}. */
    static int imageRows(SequenceRows rows) {
        return (int) Arrays.stream(rows.roles).filter(Role::isImage).count();
    }
}
