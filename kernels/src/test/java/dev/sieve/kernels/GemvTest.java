package dev.sieve.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GemvTest {
    @ParameterizedTest
    @EnumSource(WeightType.class)
    void randomShapesMatchTheReference(WeightType type) {
        Random r = new Random(77 + type.ordinal());
        // k across the 32-wide step, the Q8_0 block and the F16 chunk (512); n across the four-row group and the 32-row task.
        int[] ks = {1, 15, 16, 31, 32, 33, 63, 64, 65, 127, 200, 511, 512, 513, 1000, 1056};
        int[] ns = {1, 2, 3, 5, 6, 7, 31, 32, 33, 35, 100};
        try (Arena arena = Arena.ofShared(); Parallel two = Parallel.create(2)) {
            for (int trial = 0; trial < 80; trial++) {
                int k = ks[r.nextInt(ks.length)];
                int n = ns[r.nextInt(ns.length)];
                int stride = type == WeightType.Q8_0 || r.nextBoolean() ? k : k + 9;
                WeightMatrix w = RandomWeights.weight(r, type, n, k, stride, arena);
                MemorySegment x = RandomWeights.floats(r, k);
                float[] bias = r.nextBoolean() ? RandomWeights.bias(r, n) : null;
                MemorySegment expected = MemorySegment.ofArray(new float[n]);
                MemorySegment actual = MemorySegment.ofArray(new float[n]);
                GemmReference.matmul(x, 1, k, k, w, bias, expected, n);
                Gemv.matvec(x, k, w, bias, actual, r.nextBoolean() ? two : Parallel.serial());
                for (int j = 0; j < n; j++) {
                    double magnitude = 0;
                    for (int kk = 0; kk < k; kk++) {
                        magnitude += Math.abs(x.getAtIndex(ValueLayout.JAVA_FLOAT, kk) * w.get(j, kk));
                    }
                    float e = expected.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                    float got = actual.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                    if (Math.abs(e - got) > 1e-6 * magnitude + 1e-6 * Math.abs(e) + 1e-6) {
                        throw new AssertionError(type + " n=" + n + " k=" + k + " stride=" + stride + ": y[" + j + "] = " + got + ", reference " + e);
                    }
                }
            }
        }
    }

    /**
     * A row's result does not depend on the rows beside it: each row of W, run alone as a 1-row
     * matrix and inside every 1..7-row window, gives the bits of the full product (the group of
     * four a row lands in, and whether that group is padded, must not matter).
     */
    @ParameterizedTest
    @EnumSource(WeightType.class)
    void everyRowGivesTheSameBitsInAnyGroup(WeightType type) {
        Random r = new Random(501 + type.ordinal());
        try (Arena arena = Arena.ofShared()) {
            for (int k : new int[] {31, 64, 545, 1030}) {
                int n = 11;
                WeightMatrix w = RandomWeights.weight(r, type, n, k, type == WeightType.Q8_0 ? k : k + 3, arena);
                MemorySegment x = RandomWeights.floats(r, k);
                float[] full = new float[n];
                Gemv.matvec(x, k, w, null, MemorySegment.ofArray(full), Parallel.serial());
                for (int from = 0; from < n; from++) {
                    for (int rows = 1; from + rows <= Math.min(n, from + 7); rows++) {
                        float[] part = new float[rows];
                        Gemv.matvec(x, k, rowsOf(w, from, rows), null, MemorySegment.ofArray(part), Parallel.serial());
                        for (int j = 0; j < rows; j++) {
                            if (Float.floatToRawIntBits(part[j]) != Float.floatToRawIntBits(full[from + j])) {
                                throw new AssertionError(type + " k=" + k + ": row " + (from + j) + " in rows [" + from + ", " + (from + rows)
                                        + ") gives " + part[j] + ", in the full matrix " + full[from + j]);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * F16 weights holding infinities and NaNs take the exact path: rows with a special give the
     * reference's infinity or NaN, and every finite row gives the same bits as in a copy of the
     * matrix without the specials (where the in-register widening runs).
     */
    @org.junit.jupiter.api.Test
    void f16InfinitiesAndNaNsAreExactAndLeaveOtherRowsBitIdentical() {
        Random r = new Random(909);
        short[] specials = {0x7c00, (short) 0xfc00, 0x7e00, (short) 0xfc01};
        try (Arena arena = Arena.ofShared()) {
            for (int k : new int[] {16, 47, 530, 1031}) {
                int n = 9;
                WeightMatrix clean = RandomWeights.weight(r, WeightType.F16, n, k, k, arena);
                MemorySegment data = arena.allocate(clean.data().byteSize()).copyFrom(clean.data());
                int[] specialRows = {2, 7};
                for (int row : specialRows) {
                    data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (row * (long) k + r.nextInt(k)), specials[r.nextInt(specials.length)]);
                }
                WeightMatrix dirty = new WeightMatrix(WeightType.F16, n, k, k, data, null);
                MemorySegment x = RandomWeights.floats(r, k);
                float[] fromClean = new float[n], fromDirty = new float[n];
                Gemv.matvec(x, k, clean, null, MemorySegment.ofArray(fromClean), Parallel.serial());
                Gemv.matvec(x, k, dirty, null, MemorySegment.ofArray(fromDirty), Parallel.serial());
                MemorySegment expected = MemorySegment.ofArray(new float[n]);
                GemmReference.matmul(x, 1, k, k, dirty, null, expected, n);
                for (int j = 0; j < n; j++) {
                    float e = expected.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                    boolean special = j == specialRows[0] || j == specialRows[1];
                    if (special) {
                        if (Float.isFinite(e) || Float.compare(e, fromDirty[j]) != 0 && !(Float.isNaN(e) && Float.isNaN(fromDirty[j]))) {
                            throw new AssertionError("k=" + k + ": row " + j + " with a special gives " + fromDirty[j] + ", reference " + e);
                        }
                    } else if (Float.floatToRawIntBits(fromDirty[j]) != Float.floatToRawIntBits(fromClean[j])) {
                        throw new AssertionError("k=" + k + ": finite row " + j + " gives " + fromDirty[j] + " beside specials, " + fromClean[j] + " without");
                    }
                }
            }
        }
    }

    /**
     * An input of magnitude 2^112 or more would overflow the F16 kernel's x * 2^16, so such a call
     * takes the exact path: results stay finite and match the reference, and a row gives the
     * same bits as the fast path whenever the input is small enough for both.
     */
    @org.junit.jupiter.api.Test
    void f16WithHugeInputsMatchesTheReference() {
        Random r = new Random(31);
        try (Arena arena = Arena.ofShared()) {
            for (int k : new int[] {16, 100, 1031}) {
                int n = 7;
                WeightMatrix w = RandomWeights.weight(r, WeightType.F16, n, k, k, arena);
                MemorySegment x = RandomWeights.floats(r, k);
                x.setAtIndex(ValueLayout.JAVA_FLOAT, r.nextInt(k), r.nextBoolean() ? 0x1p112f : -2e37f);
                float[] got = new float[n];
                Gemv.matvec(x, k, w, null, MemorySegment.ofArray(got), Parallel.serial());
                MemorySegment expected = MemorySegment.ofArray(new float[n]);
                GemmReference.matmul(x, 1, k, k, w, null, expected, n);
                for (int j = 0; j < n; j++) {
                    float e = expected.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                    if (!Float.isFinite(got[j]) || Math.abs(got[j] - e) > 1e-5 * Math.abs(e) + 1e-6) {
                        throw new AssertionError("k=" + k + ": y[" + j + "] = " + got[j] + ", reference " + e);
                    }
                }
            }
        }
    }

    /**
     * Every finite half through the F16 GEMV, one per row beside normal filler, picked out by a
     * unit x: the result is the half's value exactly (zeros and subnormals included, whose
     * register widening is corrected afterwards), on the register path and the exact path alike.
     */
    @org.junit.jupiter.api.Test
    void f16GemvGivesEveryFiniteHalfExactly() {
        int cols = 48;
        int column = 21;
        int rows = 1 << 16;
        MemorySegment data = MemorySegment.ofArray(new short[rows * cols]);
        short filler = Float.floatToFloat16(-0.75f);
        for (int row = 0; row < rows; row++) {
            for (int c = 0; c < cols; c++) {
                data.setAtIndex(ValueLayout.JAVA_SHORT, (long) row * cols + c, c == column ? (short) row : filler);
            }
        }
        // NaN and infinite halves go in a matrix of their own, so this one takes the register path.
        int[] finiteRows = java.util.stream.IntStream.range(0, rows).filter(h -> Float.isFinite(Float.float16ToFloat((short) h))).toArray();
        MemorySegment finiteData = MemorySegment.ofArray(new short[finiteRows.length * cols]);
        for (int i = 0; i < finiteRows.length; i++) {
            MemorySegment.copy(data, (long) finiteRows[i] * cols * 2, finiteData, (long) i * cols * 2, cols * 2L);
        }
        WeightMatrix w = new WeightMatrix(WeightType.F16, finiteRows.length, cols, cols, finiteData, null);
        float[] unit = new float[cols];
        unit[column] = 1;
        float[] y = new float[finiteRows.length];
        try (Parallel two = Parallel.create(2)) {
            Gemv.matvec(MemorySegment.ofArray(unit), cols, w, null, MemorySegment.ofArray(y), two);
        }
        F16Profile profile = w.f16Profile(Parallel.serial());
        float[] exact = new float[4];
        for (int i = 0; i < finiteRows.length; i++) {
            float value = Float.float16ToFloat((short) finiteRows[i]);
            if (y[i] != value) {
                throw new AssertionError(String.format("half %04x: GEMV gives %s, its value is %s", finiteRows[i], y[i], value));
            }
            if (i % 4 == 0 && i + 3 < finiteRows.length) {
                GemvF16.dotExact(w, profile, i, i + 1, i + 2, i + 3, unit, cols, exact);
                for (int j = 0; j < 4; j++) {
                    if (Float.floatToRawIntBits(exact[j]) != Float.floatToRawIntBits(y[i + j])) {
                        throw new AssertionError(String.format("half %04x: exact path %s, register path %s", finiteRows[i + j], exact[j], y[i + j]));
                    }
                }
            }
        }
    }

    /**
     * Every half below 64, lifted (an F16 copy: the values times 2^10 in normal halves), through
     * the GEMV as in {@link #f16GemvGivesEveryFiniteHalfExactly}: each result is the original
     * half's value exactly, and the exact path gives the register path's bits. Only the two zeros
     * are listed in the lifted matrix's profile.
     */
    @org.junit.jupiter.api.Test
    void liftedF16GemvGivesEveryHalfBelow64Exactly() {
        int cols = 48;
        int column = 21;
        int rows = 2 * 0x5400;
        short filler = Float.floatToFloat16(-0.75f);
        try (Arena arena = Arena.ofShared(); Parallel two = Parallel.create(2)) {
            MemorySegment data = arena.allocate(2L * rows * cols);
            for (int row = 0; row < rows; row++) {
                short h = (short) ((row >> 1) | (row & 1) << 15);
                for (int c = 0; c < cols; c++) {
                    data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, (long) row * cols + c, c == column ? h : filler);
                }
            }
            WeightMatrix w = WeightConversion.copy(WeightMatrix.dense(WeightType.F16, rows, cols, data), arena, two);
            if (w.f16ScaleLog2() != WeightMatrix.F16_LIFT) {
                throw new AssertionError("not lifted: " + w);
            }
            float[] unit = new float[cols];
            unit[column] = 1;
            float[] y = new float[rows];
            Gemv.matvec(MemorySegment.ofArray(unit), cols, w, null, MemorySegment.ofArray(y), two);
            F16Profile profile = w.f16Profile(Parallel.serial());
            if (profile.listed() != 2) {
                throw new AssertionError("a lifted matrix lists only its two zero halves, got " + profile.listed());
            }
            float[] exact = new float[4];
            for (int row = 0; row < rows; row++) {
                short h = (short) ((row >> 1) | (row & 1) << 15);
                float value = Float.float16ToFloat(h);
                if (Float.floatToRawIntBits(y[row]) != Float.floatToRawIntBits(value) && !(value == 0 && y[row] == 0)) {
                    throw new AssertionError(String.format("half %04x: lifted GEMV gives %s, its value is %s", h, y[row], value));
                }
                if (row % 4 == 0) {
                    GemvF16.dotExact(w, profile, row, row + 1, row + 2, row + 3, unit, cols, exact);
                    for (int j = 0; j < 4; j++) {
                        if (Float.floatToRawIntBits(exact[j]) != Float.floatToRawIntBits(y[row + j])) {
                            throw new AssertionError(String.format("row %d: exact path %s, register path %s", row + j, exact[j], y[row + j]));
                        }
                    }
                }
            }
        }
    }

    /**
     * F16 rows full of zeros and subnormals (some plain, some listed, some with none) match the
     * reference, and the register path gives the exact path's bits for every row.
     */
    @org.junit.jupiter.api.Test
    void f16ZerosAndSubnormalsMatchTheReferenceOnBothPaths() {
        Random r = new Random(2024);
        short[] tiny = {0, (short) 0x8000, 1, (short) 0x8001, 0x2aa, (short) 0x83ff, 0x3ff};
        try (Arena arena = Arena.ofShared(); Parallel two = Parallel.create(2)) {
            for (int trial = 0; trial < 40; trial++) {
                int k = 16 + r.nextInt(1100);
                int n = 1 + r.nextInt(40);
                int stride = k + (r.nextBoolean() ? 0 : 5);
                MemorySegment data = arena.allocate(2L * n * stride);
                for (int row = 0; row < n; row++) {
                    int odds = 1 + r.nextInt(r.nextBoolean() ? 400 : 6);
                    for (int c = 0; c < stride; c++) {
                        short h = r.nextInt(odds) == 0 ? tiny[r.nextInt(tiny.length)] : Float.floatToFloat16((float) r.nextGaussian() * 1e-3f);
                        data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, (long) row * stride + c, h);
                    }
                }
                WeightMatrix stored = new WeightMatrix(WeightType.F16, n, k, stride, data, null);
                // The same values lifted into normal halves (a private copy), where only the zeros are listed.
                WeightMatrix w = r.nextBoolean() ? stored : WeightConversion.copy(stored, arena, Parallel.serial());
                MemorySegment x = RandomWeights.floats(r, k);
                float[] got = new float[n];
                Gemv.matvec(x, k, w, null, MemorySegment.ofArray(got), r.nextBoolean() ? two : Parallel.serial());
                MemorySegment expected = MemorySegment.ofArray(new float[n]);
                GemmReference.matmul(x, 1, k, k, w, null, expected, n);
                float[] xs = x.toArray(ValueLayout.JAVA_FLOAT);
                F16Profile profile = w.f16Profile(Parallel.serial());
                float[] exact = new float[4];
                for (int j = 0; j < n; j++) {
                    double magnitude = 0;
                    for (int c = 0; c < k; c++) {
                        magnitude += Math.abs(xs[c] * w.get(j, c));
                    }
                    float e = expected.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                    if (Math.abs(e - got[j]) > 1e-6 * magnitude + 1e-6 * Math.abs(e) + 1e-12) {
                        throw new AssertionError(w + ": y[" + j + "] = " + got[j] + ", reference " + e);
                    }
                    GemvF16.dotExact(w, profile, j, j, j, j, xs, k, exact);
                    if (Float.floatToRawIntBits(exact[0]) != Float.floatToRawIntBits(got[j])) {
                        throw new AssertionError(w + ": row " + j + (profile.plain(j) ? " (plain)" : "")
                                + " exact path " + exact[0] + ", matvec " + got[j]);
                    }
                }
            }
        }
    }

    /** Rows [from, from + count) of w as a matrix of its own, over the same memory. */
    private static WeightMatrix rowsOf(WeightMatrix w, int from, int count) {
        long bytesPerRow = w.type() == WeightType.Q8_0 ? w.rowStride() : w.rowStride() * (w.type() == WeightType.F32 ? 4 : 2);
        MemorySegment data = w.data().asSlice(from * bytesPerRow, count * bytesPerRow);
        MemorySegment scales = w.scales() == null ? null
                : w.scales().asSlice((long) from * WeightMatrix.blocksPerRow(w.cols()) * 4, (long) count * WeightMatrix.blocksPerRow(w.cols()) * 4);
        return new WeightMatrix(w.type(), count, w.cols(), w.rowStride(), data, scales);
    }
}
