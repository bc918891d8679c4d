package dev.sieve.llava;

import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.Role;
import dev.sieve.pruning.pipeline.SequenceView;
import java.util.Arrays;

/**
 * The rows of the sequence as pruning reshapes it: each row's role, origin and position id, plus
 * the numbering's span (the next position after the prompt). Before the LLM, visual rows' positions
 * are their places in the image (patch index, or 0..m-1 once re-indexed) and the span is how many
 * places the image takes in the prompt; in the LLM they are the rows' position ids.
 */
final class SequenceRows {
    Role[] roles;
    int[] origins;
    int[] positions;
    int span;

    private SequenceRows(Role[] roles, int[] origins, int[] positions, int span) {
        this.roles = roles;
        this.origins = origins;
        this.positions = positions;
        this.span = span;
    }

    /** Inside the vision tower: [CLS] then the P patches in raster order. */
    static SequenceRows tower(int patches) {
        Role[] roles = new Role[patches + 1];
        int[] origins = new int[patches + 1];
        int[] positions = new int[patches + 1];
        roles[0] = Role.CLS;
        origins[0] = SequenceView.CLASS_TOKEN;
        positions[0] = -1;
        for (int p = 0; p < patches; p++) {
            roles[p + 1] = Role.VISUAL;
            origins[p + 1] = p;
            positions[p + 1] = p;
        }
        return new SequenceRows(roles, origins, positions, patches);
    }

    /**
     * The LLM's rows: {@code imageStart} text rows, the image rows as they left the projector, the rest
     * text. An image row at place p gets position imageStart + p; text after the image continues after
     * the image's span, so re-indexed images give 0..n-1 and original places leave the gaps.
     */
    static SequenceRows llm(SequenceRows image, int length, int imageStart) {
        int imageRows = image.roles.length;
        Role[] roles = new Role[length];
        int[] origins = new int[length];
        int[] positions = new int[length];
        for (int i = 0; i < length; i++) {
            if (i < imageStart) {
                roles[i] = Role.TEXT_BEFORE;
                origins[i] = -1;
                positions[i] = i;
            } else if (i < imageStart + imageRows) {
                int r = i - imageStart;
                if (image.positions[r] < 0) {
                    throw new ModelException("image row " + r + " (origin " + image.origins[r] + ") has no place in the prompt; this plan needs"
                            + " positions=reindex");
                }
                roles[i] = Role.VISUAL;
                origins[i] = image.origins[r];
                positions[i] = imageStart + image.positions[r];
            } else {
                roles[i] = Role.TEXT_AFTER;
                origins[i] = -1;
                positions[i] = imageStart + image.span + (i - imageStart - imageRows);
            }
        }
        return new SequenceRows(roles, origins, positions, imageStart + image.span + (length - imageStart - imageRows));
    }

    int rows() {
        return roles.length;
    }

    SequenceView view(Hook hook, int hiddenDim, ModelShape shape) {
        return new SequenceView(hook, roles, origins, positions, hiddenDim, shape);
    }

    /** Origins of the image rows (CLS and visual), in order. */
    int[] imageOrigins() {
        return java.util.stream.IntStream.range(0, roles.length).filter(r -> roles[r] == Role.VISUAL).map(r -> origins[r]).toArray();
    }

    /**
     * Applies {@code d} to these rows and to {@code x} ({@code rows x dim}): keeps its rows, inserts its
     * appended rows after the last kept image row, renumbers by {@code rule} (the whole sequence in the
     * LLM, the visual rows' places before it); text rows, and [CLS] inside the tower, must stay. Returns the new hidden
     * rows; {@link #lastMap} then holds each new row's previous index (-1 for appended rows).
     */
    float[] apply(Decision d, PositionRule rule, float[] x, int dim, Hook hook, String who) {
        boolean inLlm = !hook.beforeLlm();
        boolean inTower = hook.kind() == Hook.Kind.VISION_LAYER;
        int n = rows();
        int[] keep = d.keep() == null ? java.util.stream.IntStream.range(0, n).toArray() : d.keep();
        boolean[] kept = new boolean[n];
        for (int r : keep) {
            if (r < 0 || r >= n) {
                throw new ModelException(who + " kept row " + r + ", outside the sequence's " + n + " rows");
            }
            kept[r] = true;
        }
        for (int r = 0; r < n; r++) {
            if (!kept[r] && (!roles[r].isImage() || (roles[r] == Role.CLS && inTower))) {
                throw new ModelException(who + " dropped row " + r + " (" + roles[r] + "); only image rows may be dropped"
                        + (roles[r] == Role.CLS ? ", and [CLS] only at the tower's output" : ""));
            }
        }
        int added = d.appendedOrigins().length;
        if (d.appended().length != (long) added * dim) {
            throw new ModelException(who + " appended " + d.appended().length + " floats for " + added + " rows of width " + dim);
        }
        if (added > 0 && rule == PositionRule.ORIGINAL) {
            throw new ModelException(who + " appended merged rows, which have no original position; positions=original is not supported");
        }
        int insertAt = 0;  // after the last kept image row, else where the image block starts
        int textBefore = 0;
        for (int i = 0; i < keep.length; i++) {
            if (roles[keep[i]].isImage()) {
                insertAt = i + 1;
            } else if (roles[keep[i]] == Role.TEXT_BEFORE) {
                textBefore = i + 1;
            }
        }
        insertAt = Math.max(insertAt, textBefore);
        int m = keep.length + added;
        Role[] newRoles = new Role[m];
        int[] newOrigins = new int[m];
        int[] newPositions = new int[m];
        int[] map = new int[m];
        float[] out = new float[m * dim];
        for (int i = 0, j = 0; i < m; i++) {
            boolean appended = i >= insertAt && i < insertAt + added;
            if (appended) {
                int a = i - insertAt;
                newRoles[i] = Role.VISUAL;
                newOrigins[i] = d.appendedOrigins()[a];
                newPositions[i] = -1;
                map[i] = -1;
                System.arraycopy(d.appended(), a * dim, out, i * dim, dim);
            } else {
                int r = keep[j++];
                newRoles[i] = roles[r];
                newOrigins[i] = origins[r];
                newPositions[i] = positions[r];
                map[i] = r;
                System.arraycopy(x, r * dim, out, i * dim, dim);
            }
        }
        roles = newRoles;
        origins = newOrigins;
        positions = newPositions;
        lastMap = map;
        if (rule == PositionRule.REINDEX) {
            renumber(inLlm);
        }
        return out;
    }

    /** After {@link #apply}: each row's index before it (-1 for appended rows). */
    int[] lastMap;

    /** In the LLM every row is numbered 0..n-1; before it, the visual rows' places close up to 0..m-1. */
    private void renumber(boolean inLlm) {
        int next = 0;
        for (int r = 0; r < roles.length; r++) {
            if (inLlm || roles[r] == Role.VISUAL) {
                positions[r] = next++;
            }
        }
        span = next;
    }

    /** Drops the [CLS] row (LLaVA's default feature strategy) or, with the "full" strategy, makes it image token 0. */
    float[] finishTower(float[] x, int dim, boolean keepCls) {
        if (!keepCls) {
            int[] keep = java.util.stream.IntStream.range(0, rows()).filter(r -> roles[r] != Role.CLS).toArray();
            Decision drop = new Decision(keep, null, null, null, null, null);
            return apply(drop, PositionRule.ORIGINAL, x, dim, Hook.visionOutput(), "the feature strategy");
        }
        // "full": [CLS, patches] all reach the LLM, numbered as image tokens 0..P.
        for (int r = 0; r < rows(); r++) {
            origins[r] = r;
            roles[r] = Role.VISUAL;
            positions[r] = r;
        }
        span = rows();
        return x;
    }
}
