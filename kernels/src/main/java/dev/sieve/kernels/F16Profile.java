package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the F16 GEMV needs to know about a matrix's halves, found in one scan on first use: whether
 * every half is finite, and for each row the columns whose half has a zero exponent field (zeros
 * and subnormals) within the row's whole {@link Simd#L}-wide steps (the GEMV's register loop).
 *
 * <p>Why: the GEMV widens halves in registers by setting exponent bits ({@link GemvF16}), which
 * can never form a subnormal float (on Intel cores each FMA on a vector holding a subnormal took a
 * microcode assist) but is exact only for halves with a nonzero exponent. A zero-exponent half h
 * comes out as {@link #pseudo}(h) instead, and the row's result subtracts the sum of
 * {@link #excess}(h) * x over these columns ({@link #correction}), listed here.
 *
 * <p>A row with more than one zero-exponent half in {@value #PLAIN_ABOVE} of its steps' columns
 * (sparse or padded rows) is <em>plain</em>: it is widened exactly instead and listed as empty, so the
 * list stays at most 1/{@value #PLAIN_ABOVE} of the weights. Whether a row is plain depends on that
 * row alone, and so does its arithmetic (see {@link GemvF16}).
 */
final class F16Profile {
    /** A row is plain when more than steps / PLAIN_ABOVE of its halves have a zero exponent field. */
    static final int PLAIN_ABOVE = 16;
    private static final VectorSpecies<Short> S = Simd.H;  // L halves: the GEMV's step
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final short EXPONENT = 0x7c00;
    private static final short MAGNITUDE = 0x7fff;
    private static final int ROWS_PER_TASK = 32;

    private final boolean finite;
    /** Row r's listed columns are columns[start[r] .. start[r + 1]), ascending. */
    private final int[] start;
    private final char[] columns;
    /** excess(h) of each listed column's half times the matrix's {@link WeightMatrix#f16Unscale}, beside columns: the correction reads no weights. */
    private final float[] excesses;
    private final boolean[] plain;

    private F16Profile(boolean finite, int[] start, char[] columns, float[] excesses, boolean[] plain) {
        this.finite = finite;
        this.start = start;
        this.columns = columns;
        this.excesses = excesses;
        this.plain = plain;
    }

    /** Whether no half in the matrix's rows is infinite or NaN. */
    boolean finite() {
        return finite;
    }

    boolean plain(int row) {
        return plain[row];
    }

    /** Listed columns of all rows together (for tests and the memory it costs: six bytes each). */
    int listed() {
        return columns.length;
    }

    /** Row r's listed columns, ascending. */
    char[] columns(int row) {
        return Arrays.copyOfRange(columns, start[row], start[row + 1]);
    }

    /**
     * A zero-exponent half read as if its exponent field were 1 less than the smallest normal's
     * with an implicit leading 1: sign * 2^-15 * (1 + m / 1024), a normal float. (Times 2^-16, it is
     * what the GEMV's register widening makes of the half.)
     */
    static float pseudo(short h) {
        return Float.intBitsToFloat(((h & 0x8000) << 16) | (112 << 23) | ((h & 0x3ff) << 13));
    }

    /** pseudo(h) minus the half's value: sign * (1024 - m) * 2^-25, exact in float. */
    static float excess(short h) {
        return pseudo(h) - Float.float16ToFloat(h);
    }

    /**
     * Sum over row's listed columns, in ascending order, of excess(h) * unscale * x[column] (each
     * product rounded, then added), where unscale is the matrix's {@link WeightMatrix#f16Unscale}: a
     * lifted matrix's halves are its values times 2^10, and so is their excess.
     */
    float correction(int row, float[] x) {
        float sum = 0;
        for (int j = start[row], end = start[row + 1]; j < end; j++) {
            sum += excesses[j] * x[columns[j]];
        }
        return sum;
    }

    /** Overwrites f[offset + c - from] with pseudo(h) * unscale for row's listed columns c in [from, from + len). */
    void pseudoInto(WeightMatrix w, int row, int from, int len, float[] f, int offset) {
        MemorySegment d = w.data();
        long base = row * w.rowStride() * 2;
        int j = Arrays.binarySearch(columns, start[row], start[row + 1], (char) from);
        for (j = j < 0 ? -j - 1 : j; j < start[row + 1] && columns[j] < from + len; j++) {
            int c = columns[j];
            f[offset + c - from] = pseudo(d.get(WeightMatrix.I16_LE, base + 2L * c)) * w.f16Unscale();
        }
    }

    /** The profile of an F16 matrix, rows scanned in parallel (32-row tasks). */
    static F16Profile scan(WeightMatrix w, Parallel parallel) {
        int rows = w.rows();
        int steps = w.cols() & -Simd.L;
        boolean listable = listable(w.cols());
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        char[][] found = new char[tasks][];
        float[][] foundExcesses = new float[tasks][];
        int[] counts = new int[rows];
        boolean[] plain = new boolean[rows];
        boolean[] infinite = new boolean[tasks];
        parallel.forEach(tasks, t -> {
            char[] list = new char[0];
            float[] excess = new float[0];
            int size = 0;
            for (int r = t * ROWS_PER_TASK; r < Math.min(rows, (t + 1) * ROWS_PER_TASK); r++) {
                MemorySegment row = w.data().asSlice(r * w.rowStride() * 2, w.cols() * 2L);
                infinite[t] |= !rowFinite(row, w.cols());
                int zeros = listable ? zeroExponents(row, steps) : steps;
                if (zeros > steps / PLAIN_ABOVE) {
                    plain[r] = true;
                    continue;
                }
                if (size + zeros > list.length) {
                    list = Arrays.copyOf(list, Math.max(2 * list.length, size + zeros));
                    excess = Arrays.copyOf(excess, list.length);
                }
                size = listZeroExponents(row, steps, list, excess, size, w.f16Unscale());
                counts[r] = zeros;
            }
            found[t] = Arrays.copyOf(list, size);
            foundExcesses[t] = Arrays.copyOf(excess, size);
        });
        int[] start = new int[rows + 1];
        for (int r = 0; r < rows; r++) {
            start[r + 1] = start[r] + counts[r];
        }
        char[] columns = new char[start[rows]];
        float[] excesses = new float[start[rows]];
        for (int t = 0; t < tasks; t++) {
            System.arraycopy(found[t], 0, columns, start[t * ROWS_PER_TASK], found[t].length);
            System.arraycopy(foundExcesses[t], 0, excesses, start[t * ROWS_PER_TASK], found[t].length);
        }
        boolean finite = true;
        for (boolean inf : infinite) {
            finite &= !inf;
        }
        return new F16Profile(finite, start, columns, excesses, plain);
    }

    /** Scalar twin of {@link #scan}: the same profile, one half at a time. */
    static F16Profile scanReference(WeightMatrix w) {
        int rows = w.rows();
        int steps = w.cols() & -Simd.L;
        boolean finite = true;
        boolean[] plain = new boolean[rows];
        int[] start = new int[rows + 1];
        char[] columns = new char[0];
        float[] excesses = new float[0];
        for (int r = 0; r < rows; r++) {
            char[] row = new char[steps];
            float[] rowExcesses = new float[steps];
            int n = 0;
            for (int c = 0; c < w.cols(); c++) {
                short h = w.data().get(WeightMatrix.I16_LE, (r * w.rowStride() + c) * 2);
                finite &= Float.isFinite(Float.float16ToFloat(h));
                if (c < steps && (h & EXPONENT) == 0) {
                    rowExcesses[n] = excess(h) * w.f16Unscale();
                    row[n++] = (char) c;
                }
            }
            if (n > steps / PLAIN_ABOVE || !listable(w.cols()) && steps > 0) {
                plain[r] = true;
                n = 0;
            }
            columns = Arrays.copyOf(columns, start[r] + n);
            excesses = Arrays.copyOf(excesses, start[r] + n);
            System.arraycopy(row, 0, columns, start[r], n);
            System.arraycopy(rowExcesses, 0, excesses, start[r], n);
            start[r + 1] = start[r] + n;
        }
        return new F16Profile(finite, start, columns, excesses, plain);
    }

    /** Same profile: finiteness, plain rows and every row's columns. */
    boolean sameAs(F16Profile o) {
        return finite == o.finite && Arrays.equals(start, o.start) && Arrays.equals(columns, o.columns) && Arrays.equals(excesses, o.excesses)
                && Arrays.equals(plain, o.plain);
    }

    /** Whether a row's columns fit the list's chars; when not, every row with a whole step is plain. */
    private static boolean listable(int cols) {
        return cols <= Character.MAX_VALUE + 1;
    }

    /** Whether the row's halves are all finite: its largest magnitude bits stay below 0x7c00. */
    private static boolean rowFinite(MemorySegment row, int cols) {
        return largestMagnitudeBits(row, cols) < EXPONENT;
    }

    /** The largest {@code h & 0x7fff} of a row's {@code cols} halves. */
    static int largestMagnitudeBits(MemorySegment row, int cols) {
        int vectorEnd = cols & -S.length();
        ShortVector largest = ShortVector.zero(S);
        for (int c = 0; c < vectorEnd; c += S.length()) {
            largest = largest.max(ShortVector.fromMemorySegment(S, row, 2L * c, LE).and(MAGNITUDE));
        }
        int max = largest.reduceLanes(VectorOperators.MAX);
        for (int c = vectorEnd; c < cols; c++) {
            max = Math.max(max, row.get(WeightMatrix.I16_LE, 2L * c) & MAGNITUDE);
        }
        return max;
    }

    private static int zeroExponents(MemorySegment row, int steps) {
        int n = 0;
        for (int c = 0; c < steps; c += S.length()) {
            n += zeroExponentLanes(row, c).trueCount();
        }
        return n;
    }

    /** Appends the row's zero-exponent columns below {@code steps} and their excesses from {@code size}; returns the new size. */
    private static int listZeroExponents(MemorySegment row, int steps, char[] list, float[] excess, int size, float unscale) {
        for (int c = 0; c < steps; c += S.length()) {
            if (zeroExponentLanes(row, c).anyTrue()) {
                for (int i = c; i < c + S.length(); i++) {
                    short h = row.get(WeightMatrix.I16_LE, 2L * i);
                    if ((h & EXPONENT) == 0) {
                        excess[size] = excess(h) * unscale;
                        list[size++] = (char) i;
                    }
                }
            }
        }
        return size;
    }

    private static VectorMask<Short> zeroExponentLanes(MemorySegment row, int c) {
        return ShortVector.fromMemorySegment(S, row, 2L * c, LE).and(EXPONENT).compare(VectorOperators.EQ, (short) 0);
    }
}
