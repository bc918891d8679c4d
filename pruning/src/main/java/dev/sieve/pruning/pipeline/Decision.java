package dev.sieve.pruning.pipeline;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A stage's answer at a hook: the rows to keep (ascending rows of the view; text rows must stay,
 * and [CLS] inside the tower), rows to append right after the kept image rows (merges), each with
 * its origin (a patch index when it is a copy of one, {@link SequenceView#MERGED} otherwise), and
 * the position rule for what follows. {@code scores}, when given, are the stage's score for each of
 * {@code scoredRows}; they are reported, not used.
 */
public record Decision(int[] keep, float[] appended, int[] appendedOrigins, PositionRule positions, int[] scoredRows, float[] scores) {
    /** Keep everything (a stage that only observes at this hook, e.g. IVTP collecting an earlier layer's scores). */
    public static final Decision KEEP_ALL = new Decision(null, new float[0], new int[0], null, null, null);

    public Decision {
        appended = appended == null ? new float[0] : appended;
        appendedOrigins = appendedOrigins == null ? new int[0] : appendedOrigins.clone();
        keep = keep == null ? null : keep.clone();
        for (int i = 1; keep != null && i < keep.length; i++) {
            if (keep[i] <= keep[i - 1]) {
                throw new IllegalArgumentException("kept rows must be ascending and distinct: " + Arrays.toString(keep));
            }
        }
    }

    /** Whether this decision changes nothing. */
    public boolean keepsAll() {
        return keep == null && appendedOrigins.length == 0;
    }

    /**
     * Keeps every row that is not {@link Role#VISUAL} and, of the visual rows, those at {@code chosen}
     * (indices into {@code view.visualRows()}, any order).
     */
    public static Decision keepVisual(SequenceView view, int[] chosen, PositionRule positions, float[] scores) {
        int[] visual = view.visualRows();
        boolean[] kept = new boolean[view.rows()];
        for (int r = 0; r < view.rows(); r++) {
            kept[r] = view.role(r) != Role.VISUAL;
        }
        for (int c : chosen) {
            if (c < 0 || c >= visual.length) {
                throw new IllegalArgumentException("visual row " + c + " is outside 0.." + (visual.length - 1));
            }
            kept[visual[c]] = true;
        }
        int[] keep = IntStream.range(0, view.rows()).filter(r -> kept[r]).toArray();
        return new Decision(keep, null, null, positions, scores == null ? null : visual, scores);
    }

    /** This decision with {@code rows} appended after the kept image rows (rows x dim floats, one origin each). */
    public Decision appending(float[] rows, int[] origins) {
        return new Decision(keep, rows, origins, positions, scoredRows, scores);
    }
}
