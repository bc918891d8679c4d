package dev.sieve.pruning.pipeline;

import java.util.Arrays;

/**
 * What the model computed for a stage at a hook, addressed by the rows of the view the stage is
 * deciding on. The signals were computed on the rows present when the hook's layer ran; when an
 * earlier stage at the same hook already cut rows, the model maps them, and rows appended at this
 * hook have none ({@link #hasAttention}, {@link #hasHidden} say so).
 */
public final class Signals {
    private final int[] queryRows;     // per query: its row in the source sequence
    private final float[] attention;   // [queries x sourceRows], mean over heads
    private final int sourceRows;
    private final int[] hiddenSlot;    // per source row: index into hidden, or -1
    private final float[] hidden;
    private final int hiddenDim;
    private final float[] keys;        // [sourceRows x keyDim]
    private final int keyDim;
    private final int[] rowMap;        // per current row: its source row, or -1; null = identity

    /**
     * @param queryRows the query rows of {@code attention} (rows of the sequence it was computed on)
     * @param attention [queryRows.length x sourceRows] attention probabilities, mean over heads
     * @param sourceRows rows of the sequence the signals were computed on
     * @param hiddenRows rows whose hidden states {@code hidden} holds ([hiddenRows.length x hiddenDim]), or null
     * @param keys [sourceRows x keyDim] keys averaged over heads, or null
     */
    public static Signals of(int[] queryRows, float[] attention, int sourceRows, int[] hiddenRows, float[] hidden, int hiddenDim,
                             float[] keys, int keyDim) {
        int[] slot = null;
        if (hiddenRows != null) {
            slot = new int[sourceRows];
            Arrays.fill(slot, -1);
            for (int i = 0; i < hiddenRows.length; i++) {
                slot[hiddenRows[i]] = i;
            }
        }
        return new Signals(queryRows == null ? new int[0] : queryRows.clone(), attention == null ? new float[0] : attention, sourceRows,
                slot, hidden, hiddenDim, keys, keyDim, null);
    }

    private Signals(int[] queryRows, float[] attention, int sourceRows, int[] hiddenSlot, float[] hidden, int hiddenDim, float[] keys,
                    int keyDim, int[] rowMap) {
        if (attention.length != (long) queryRows.length * sourceRows) {
            throw new IllegalArgumentException("attention holds " + attention.length + " values for " + queryRows.length + " queries x "
                    + sourceRows + " rows");
        }
        this.queryRows = queryRows;
        this.attention = attention;
        this.sourceRows = sourceRows;
        this.hiddenSlot = hiddenSlot;
        this.hidden = hidden;
        this.hiddenDim = hiddenDim;
        this.keys = keys;
        this.keyDim = keyDim;
        this.rowMap = rowMap;
    }

    /** The same signals for a sequence whose row r was row {@code currentToPrevious[r]} of this one's (-1: a new row). */
    public Signals remapped(int[] currentToPrevious) {
        int[] map = new int[currentToPrevious.length];
        for (int r = 0; r < map.length; r++) {
            int previous = currentToPrevious[r];
            map[r] = previous < 0 ? -1 : source(previous);
        }
        return new Signals(queryRows, attention, sourceRows, hiddenSlot, hidden, hiddenDim, keys, keyDim, map);
    }

    /**
     * The same signals with only the queries {@code rows} (rows of the sequence the attention was
     * computed on, each among this object's queries), in that order: what one stage asked for when
     * several stages' requests were merged into one probe.
     */
    public Signals withQueries(int[] rows) {
        if (rows == null) {
            return new Signals(new int[0], new float[0], sourceRows, hiddenSlot, hidden, hiddenDim, keys, keyDim, rowMap);
        }
        float[] subset = new float[rows.length * sourceRows];
        for (int i = 0; i < rows.length; i++) {
            int q = indexOf(queryRows, rows[i]);
            if (q < 0) {
                throw new IllegalArgumentException("row " + rows[i] + "'s attention was not probed");
            }
            System.arraycopy(attention, q * sourceRows, subset, i * sourceRows, sourceRows);
        }
        return new Signals(rows.clone(), subset, sourceRows, hiddenSlot, hidden, hiddenDim, keys, keyDim, rowMap);
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private int source(int row) {
        return rowMap == null ? row : row < rowMap.length ? rowMap[row] : -1;
    }

    /** Number of query rows whose attention was probed. */
    public int queries() {
        return queryRows.length;
    }

    /** Whether {@code row} (of the current view) has attention values. */
    public boolean hasAttention(int row) {
        return queryRows.length > 0 && source(row) >= 0;
    }

    /** Attention of query {@code q} (in the order requested) to {@code row}, mean over heads. */
    public float attention(int q, int row) {
        int s = source(row);
        if (s < 0) {
            throw new IllegalArgumentException("row " + row + " has no attention here (it was appended at this hook)");
        }
        return attention[q * sourceRows + s];
    }

    /** Attention to each of {@code rows} averaged over the query rows (summed in query order, then divided): FastV's, IVTP's, SparseVLM's score. */
    public float[] meanAttention(int[] rows) {
        float[] scores = new float[rows.length];
        for (int q = 0; q < queryRows.length; q++) {
            for (int j = 0; j < rows.length; j++) {
                scores[j] += attention(q, rows[j]);
            }
        }
        for (int j = 0; j < rows.length; j++) {
            scores[j] /= queryRows.length;
        }
        return scores;
    }

    /** Attention of query {@code q} to each of {@code rows}. */
    public float[] attentionOf(int q, int[] rows) {
        float[] out = new float[rows.length];
        for (int j = 0; j < rows.length; j++) {
            out[j] = attention(q, rows[j]);
        }
        return out;
    }

    public int hiddenDim() {
        return hiddenDim;
    }

    public boolean hasHidden(int row) {
        int s = source(row);
        return hiddenSlot != null && s >= 0 && hiddenSlot[s] >= 0;
    }

    /** Hidden states of {@code rows}, one row of {@link #hiddenDim} floats each (a copy). */
    public float[] hidden(int[] rows) {
        float[] out = new float[rows.length * hiddenDim];
        for (int i = 0; i < rows.length; i++) {
            if (!hasHidden(rows[i])) {
                throw new IllegalArgumentException("row " + rows[i] + "'s hidden state was not requested here");
            }
            System.arraycopy(hidden, hiddenSlot[source(rows[i])] * hiddenDim, out, i * hiddenDim, hiddenDim);
        }
        return out;
    }

    public int keyDim() {
        return keyDim;
    }

    /** Keys (mean over heads) of {@code rows}, one row of {@link #keyDim} floats each (a copy). */
    public float[] keys(int[] rows) {
        if (keys == null) {
            throw new IllegalArgumentException("keys were not requested here");
        }
        float[] out = new float[rows.length * keyDim];
        for (int i = 0; i < rows.length; i++) {
            int s = source(rows[i]);
            if (s < 0) {
                throw new IllegalArgumentException("row " + rows[i] + " has no keys here (it was appended at this hook)");
            }
            System.arraycopy(keys, s * keyDim, out, i * keyDim, keyDim);
        }
        return out;
    }
}
