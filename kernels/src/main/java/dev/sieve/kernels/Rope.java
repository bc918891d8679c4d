package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.LE;
import static dev.sieve.kernels.Elementwise.SPECIES;
import static dev.sieve.kernels.Elementwise.checkRows;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Rotary position embedding, Hugging Face Llama layout ("rotate_half", non-interleaved), applied
 * in place to {@code x} viewed as {@code [rows, heads, headDim]} (heads contiguous within a row,
 * rows {@code rowStride} floats apart), each row at its own position (positions may have gaps or
 * run backwards, as after token pruning).
 *
 * <p>With {@code h = headDim / 2}, for {@code j < h}:
 * {@code out[j] = x[j] cos[j] - x[j+h] sin[j]} and {@code out[j+h] = x[j+h] cos[j] + x[j] sin[j]},
 * where {@code cos[j] = cos(pos * invFreq[j])}. The float32 roundings follow transformers 4.44
 * ({@code LlamaRotaryEmbedding} + {@code apply_rotary_pos_emb}): see {@link #inverseFrequencies}
 * and {@link Table}; the two products are rounded separately before the sum (no fused multiply-add),
 * as PyTorch computes {@code q * cos + rotate_half(q) * sin}. Scalar twin: {@link RopeReference}.
 *
 * <p>Typical use: build one {@link Table} for the positions of a forward pass, then
 * {@link #apply} it to the queries and keys of every layer.
 */
public final class Rope {
    private Rope() {
    }

    /**
     * {@code inv_freq[i] = 1 / theta^((2i) / headDim)} with torch's float32 roundings:
     * {@code 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))}: the exponent is a float32
     * division, the power is rounded to float32, and so is the reciprocal.
     */
    public static float[] inverseFrequencies(int headDim, double theta) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim must be positive and even, got " + headDim);
        }
        float base = (float) theta;
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            float power = (float) StrictMath.pow(base, exponent);
            inv[i] = 1f / power;
        }
        return inv;
    }

    /**
     * cos and sin of {@code position * invFreq[j]} for a list of positions, computed once per
     * forward pass and reused by every layer. Row {@code k} of the table belongs to
     * {@code positions[k]}. A table may be refilled ({@link #fill}) to avoid reallocating.
     */
    public static final class Table {
        private final int halfDim;
        private final float[] invFreq;
        private float[] cos;
        private float[] sin;
        private int size;

        /** An empty table for these inverse frequencies (headDim / 2 of them). */
        public Table(float[] invFreq) {
            if (invFreq.length == 0) {
                throw new IllegalArgumentException("no inverse frequencies");
            }
            this.halfDim = invFreq.length;
            this.invFreq = invFreq.clone();
            this.cos = new float[0];
            this.sin = new float[0];
        }

        /** A table for {@code positions}. */
        public static Table of(float[] invFreq, int[] positions) {
            Table t = new Table(invFreq);
            t.fill(positions, positions.length);
            return t;
        }

        /**
         * Recomputes the table for {@code positions[0, count)}: {@code freq = (float) pos * invFreq[j]}
         * rounded to float32, then {@code cos}/{@code sin} of that float rounded to float32.
         * Grows the arrays only when {@code count} exceeds their capacity.
         */
        public void fill(int[] positions, int count) {
            if (count < 0 || count > positions.length) {
                throw new IllegalArgumentException("count " + count + " outside [0, " + positions.length + "]");
            }
            long needed = (long) count * halfDim;
            if (needed > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("rope table too large: " + needed);
            }
            if (cos.length < needed) {
                cos = new float[(int) needed];
                sin = new float[(int) needed];
            }
            for (int k = 0; k < count; k++) {
                float p = (float) positions[k];
                int base = k * halfDim;
                for (int j = 0; j < halfDim; j++) {
                    float freq = p * invFreq[j];
                    cos[base + j] = (float) StrictMath.cos(freq);
                    sin[base + j] = (float) StrictMath.sin(freq);
                }
            }
            size = count;
        }

        /** headDim / 2. */
        public int halfDim() {
            return halfDim;
        }

        /** Number of positions (rows) currently held. */
        public int size() {
            return size;
        }

        /** cos for table row {@code k}, frequency {@code j}. */
        public float cos(int k, int j) {
            return cos[k * halfDim + j];
        }

        /** sin for table row {@code k}, frequency {@code j}. */
        public float sin(int k, int j) {
            return sin[k * halfDim + j];
        }
    }

    /** Applies table rows {@code [0, rows)} to rows {@code [0, rows)} of {@code x}. */
    public static void apply(MemorySegment x, int rows, int heads, int headDim, long rowStride, Table table) {
        apply(x, rows, heads, headDim, rowStride, table, 0);
    }

    /**
     * Applies table rows {@code [firstTableRow, firstTableRow + rows)} to rows {@code [0, rows)}
     * of {@code x}, in place.
     */
    public static void apply(MemorySegment x, int rows, int heads, int headDim, long rowStride, Table table,
            int firstTableRow) {
        check(x, rows, heads, headDim, rowStride, table, firstTableRow);
        for (int r = 0; r < rows; r++) {
            applyRow(x, (long) r * rowStride * Float.BYTES, heads, table.halfDim, table.cos, table.sin,
                    (firstTableRow + r) * table.halfDim);
        }
    }

    /** {@link #apply(MemorySegment, int, int, int, long, Table, int)} with rows spread over {@code parallel}. */
    public static void apply(Parallel parallel, MemorySegment x, int rows, int heads, int headDim, long rowStride,
            Table table, int firstTableRow) {
        check(x, rows, heads, headDim, rowStride, table, firstTableRow);
        int chunk = Elementwise.rowChunk(rows, heads * headDim, parallel);
        final float[] cos = table.cos;
        final float[] sin = table.sin;
        final int half = table.halfDim;
        parallel.forEach((rows + chunk - 1) / chunk, t -> {
            int end = Math.min(rows, (t + 1) * chunk);
            for (int r = t * chunk; r < end; r++) {
                applyRow(x, (long) r * rowStride * Float.BYTES, heads, half, cos, sin, (firstTableRow + r) * half);
            }
        });
    }

    private static void check(MemorySegment x, int rows, int heads, int headDim, long rowStride, Table table,
            int firstTableRow) {
        if (heads < 0 || headDim != 2 * table.halfDim) {
            throw new IllegalArgumentException("headDim " + headDim + " does not match the table (half " + table.halfDim
                    + "), heads=" + heads);
        }
        checkRows(x, rows, Math.multiplyExact(heads, headDim), rowStride, "x");
        if (firstTableRow < 0 || (long) firstTableRow + rows > table.size) {
            throw new IllegalArgumentException("table rows [" + firstTableRow + ", " + ((long) firstTableRow + rows)
                    + ") outside a table of " + table.size);
        }
    }

    private static void applyRow(MemorySegment x, long rowBase, int heads, int half, float[] cos, float[] sin,
            int tableBase) {
        final int lanes = SPECIES.length();
        final int bound = SPECIES.loopBound(half);
        final long halfBytes = (long) half * Float.BYTES;
        final VectorMask<Float> m = SPECIES.indexInRange(bound, half);
        for (int h = 0; h < heads; h++) {
            final long b = rowBase + 2L * h * halfBytes;
            int i = 0;
            for (; i < bound; i += lanes) {
                long o1 = b + (long) i * Float.BYTES;
                long o2 = o1 + halfBytes;
                FloatVector x1 = FloatVector.fromMemorySegment(SPECIES, x, o1, LE);
                FloatVector x2 = FloatVector.fromMemorySegment(SPECIES, x, o2, LE);
                FloatVector c = FloatVector.fromArray(SPECIES, cos, tableBase + i);
                FloatVector s = FloatVector.fromArray(SPECIES, sin, tableBase + i);
                x1.mul(c).sub(x2.mul(s)).intoMemorySegment(x, o1, LE);
                x2.mul(c).add(x1.mul(s)).intoMemorySegment(x, o2, LE);
            }
            if (i < half) {
                long o1 = b + (long) i * Float.BYTES;
                long o2 = o1 + halfBytes;
                FloatVector x1 = FloatVector.fromMemorySegment(SPECIES, x, o1, LE, m);
                FloatVector x2 = FloatVector.fromMemorySegment(SPECIES, x, o2, LE, m);
                FloatVector c = FloatVector.fromArray(SPECIES, cos, tableBase + i, m);
                FloatVector s = FloatVector.fromArray(SPECIES, sin, tableBase + i, m);
                x1.mul(c).sub(x2.mul(s)).intoMemorySegment(x, o1, LE, m);
                x2.mul(c).add(x1.mul(s)).intoMemorySegment(x, o2, LE, m);
            }
        }
    }
}
