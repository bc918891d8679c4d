package dev.sieve.pruning.pipeline;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A read-only view of the sequence at a hook: for each row its role, its original patch index
 * (or {@link #MERGED} / {@link #CLASS_TOKEN}) and its position id. Inside the vision tower and after
 * the projector the sequence holds only image rows ([CLS] first inside the tower); in the LLM it is
 * text before the image, the image rows, text after.
 */
public final class SequenceView {
    /** Origin of a row that is not an original patch: a merge of several, or anything a stage appended. */
    public static final int MERGED = -1;
    /** Origin of the vision tower's class token. */
    public static final int CLASS_TOKEN = -2;

    private final Hook hook;
    private final Role[] roles;
    private final int[] origins;
    private final int[] positions;
    private final int hiddenDim;
    private final ModelShape shape;

    public SequenceView(Hook hook, Role[] roles, int[] origins, int[] positions, int hiddenDim, ModelShape shape) {
        if (roles.length != origins.length || roles.length != positions.length) {
            throw new IllegalArgumentException("a view needs one role, origin and position per row");
        }
        this.hook = hook;
        this.roles = roles.clone();
        this.origins = origins.clone();
        this.positions = positions.clone();
        this.hiddenDim = hiddenDim;
        this.shape = shape;
    }

    public Hook hook() {
        return hook;
    }

    public ModelShape shape() {
        return shape;
    }

    public int rows() {
        return roles.length;
    }

    public Role role(int row) {
        return roles[row];
    }

    /** The original patch index (0..P-1) of an image row, {@link #MERGED}, or {@link #CLASS_TOKEN}; -1 for text rows too. */
    public int origin(int row) {
        return origins[row];
    }

    public int position(int row) {
        return positions[row];
    }

    /** Width of the hidden rows at this hook (CLIP's inside the tower and at its output, the LLM's after the projector). */
    public int hiddenDim() {
        return hiddenDim;
    }

    /** Rows whose role is {@link Role#VISUAL}, ascending. */
    public int[] visualRows() {
        return rowsWith(Role.VISUAL);
    }

    /** Rows whose role is {@code role}, ascending. */
    public int[] rowsWith(Role role) {
        return IntStream.range(0, roles.length).filter(r -> roles[r] == role).toArray();
    }

    /** The last row (FastV's and PyramidDrop's query: the last prompt token). */
    public int lastRow() {
        return roles.length - 1;
    }

    /** Original patch indices of {@code rows}, in their order (merged rows give {@link #MERGED}). */
    public int[] originsOf(int[] rows) {
        return Arrays.stream(rows).map(r -> origins[r]).toArray();
    }

    @Override
    public String toString() {
        return "SequenceView(" + hook + ", " + rows() + " rows, " + visualRows().length + " visual)";
    }
}
