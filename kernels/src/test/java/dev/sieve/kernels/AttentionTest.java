package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AttentionTest {
    /** Test the vector form: the kernels take the scalar one while the process is cold ({@link ColdStart}). */
    @BeforeEach
    void vectorForm() {
        ColdStart.force(false);
    }

    private static final Parallel TWO = Parallel.create(2);
    private static final int[][] HEADS = {{1, 1}, {4, 4}, {8, 2}, {6, 3}};
    private static final int[] DIMS = {1, 3, 8, 16, 24, 40, 64, 72, 128};

    @AfterAll
    static void close() {
        TWO.close();
    }

    /** One head, d = 2, two keys, computed by hand: scores (1, 0), p = (e, 1) / (e + 1). */
    @Test
    void tinyCaseByHand() {
        float[] q = {1, 0, 1, 0};         // two query rows, both (1, 0)
        float[] k = {1, 0, 0, 1};         // keys (1, 0) and (0, 1)
        float[] v = {1, 2, 3, 4};         // values (1, 2) and (3, 4)
        double p0 = 0.7310585786300049;   // e / (e + 1)
        double p1 = 0.2689414213699951;   // 1 / (e + 1)
        for (boolean reference : new boolean[] {false, true}) {
            // Bidirectional, one query: out = p0 (1, 2) + p1 (3, 4) = (1.5378828427, 2.5378828427).
            float[] out = new float[2];
            AttentionProbe probe = AttentionProbe.withHeads(new int[] {0}, 2, 1);
            run(reference, q, 2, k, 2, v, 2, out, 2, 1, 2, 1, 1, 2, 1f, false, probe, Parallel.serial());
            assertThat(out[0]).isCloseTo(1.5378828427f, within(1e-6f));
            assertThat(out[1]).isCloseTo(2.5378828427f, within(1e-6f));
            assertThat(probe.mean()[0]).isCloseTo((float) p0, within(1e-7f));
            assertThat(probe.mean()[1]).isCloseTo((float) p1, within(1e-7f));
            assertThat(probe.perHead()).containsExactly(probe.mean());

            // Causal prefill, two queries: row 0 sees key 0 only (out = v0), row 1 sees both.
            float[] out2 = new float[4];
            AttentionProbe probe2 = AttentionProbe.of(new int[] {0, 1}, 2);
            run(reference, q, 2, k, 2, v, 2, out2, 2, 2, 2, 1, 1, 2, 1f, true, probe2, Parallel.serial());
            assertThat(out2[0]).isCloseTo(1f, within(1e-6f));
            assertThat(out2[1]).isCloseTo(2f, within(1e-6f));
            assertThat(out2[2]).isCloseTo(1.5378828427f, within(1e-6f));
            assertThat(out2[3]).isCloseTo(2.5378828427f, within(1e-6f));
            assertThat(probe2.mean()[0]).isEqualTo(1f);
            assertThat(probe2.mean()[1]).isEqualTo(0f);
            assertThat(probe2.mean()[2]).isCloseTo((float) p0, within(1e-7f));
            assertThat(probe2.mean()[3]).isCloseTo((float) p1, within(1e-7f));
        }
    }

    /** Random shapes, strides, head layouts, masks, thread counts and probes against the scalar reference. */
    @Test
    void randomShapesMatchReference() {
        Random random = new Random(20240611);
        int[] querySizes = {1, 2, 3, 4, 5, 7, 16, 17, 31, 32, 33, 36, 37, 64, 65, 100};
        for (int trial = 0; trial < 300; trial++) {
            int[] heads = HEADS[random.nextInt(HEADS.length)];
            int d = DIMS[random.nextInt(DIMS.length)];
            boolean causal = random.nextBoolean();
            int sq = querySizes[random.nextInt(querySizes.length)];
            int sk = causal
                    ? sq + (random.nextInt(3) == 0 ? 0 : random.nextInt(random.nextBoolean() ? 4 : 200))
                    : 1 + random.nextInt(random.nextBoolean() ? 5 : 200);
            // Keep the reference (double, scalar) affordable.
            while ((long) sq * sk * heads[0] * d > 3_000_000L) {
                d = Math.max(1, d / 2);
                if ((long) sq * sk * heads[0] * d > 3_000_000L && d == 1) {
                    break;
                }
            }
            Parallel parallel = random.nextBoolean() ? Parallel.serial() : TWO;
            String what = "trial " + trial + ": sq=" + sq + " sk=" + sk + " hq=" + heads[0] + " hkv=" + heads[1]
                    + " d=" + d + " causal=" + causal + " threads=" + parallel.threads();
            compare(random, sq, sk, heads[0], heads[1], d, causal, 1f, random.nextBoolean(), parallel, 1e-6, what);
        }
    }

    /** Decode against a long KV cache (several key blocks), and long prefill with every thread count. */
    @Test
    void longSequences() {
        Random random = new Random(7);
        for (Parallel parallel : new Parallel[] {Parallel.serial(), TWO}) {
            compare(random, 1, 1500, 8, 2, 64, true, 1f, true, parallel, 1e-6, "decode sk=1500");
            compare(random, 3, 700, 4, 4, 40, true, 1f, false, parallel, 1e-6, "3 queries sk=700");
            compare(random, 200, 200, 2, 1, 72, true, 1f, true, parallel, 1e-6, "prefill 200");
            compare(random, 97, 257, 6, 3, 24, false, 1f, false, parallel, 1e-6, "bidirectional 97x257");
        }
    }

    /** The block-by-block path taken when packed keys and values would exceed Attention.packLimit. */
    @Test
    void withoutPacking() {
        long saved = Attention.packLimit;
        Attention.packLimit = 0;
        try {
            Random random = new Random(5);
            for (Parallel parallel : new Parallel[] {Parallel.serial(), TWO}) {
                compare(random, 150, 150, 4, 2, 40, true, 1f, true, parallel, 1e-6, "prefill 150 unpacked");
                compare(random, 70, 190, 6, 3, 64, false, 1f, false, parallel, 1e-6, "bidirectional 70x190 unpacked");
                compare(random, 37, 300, 8, 8, 24, true, 1f, true, parallel, 1e-6, "chunked prefill 37 of 300 unpacked");
            }
        } finally {
            Attention.packLimit = saved;
        }
    }

    /**
     * Large scores (|s| up to ~20: a peaked softmax, the running max moving across blocks). Float32
     * scores then carry ~1e-6 absolute error, which exp turns into ~1e-6 relative error of the top
     * probabilities, so the absolute tolerance is 2e-5 here instead of 1e-6.
     */
    @Test
    void peakedScores() {
        Random random = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            boolean causal = trial % 2 == 0;
            int sq = 1 + random.nextInt(80);
            int sk = sq + random.nextInt(150);
            compare(random, sq, sk, 4, 2, 64, causal, 4f, true, TWO, 2e-5, "peaked trial " + trial);
        }
    }

    @Test
    void rejectsBadGeometry() {
        MemorySegment m = MemorySegment.ofArray(new float[64]);
        assertThatThrownBy(() -> Attention.attend(m, 12, m, 4, m, 4, m, 12, 1, 1, 3, 2, 4, 1f, false, Parallel.serial()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple");
        assertThatThrownBy(() -> Attention.attend(m, 4, m, 4, m, 4, m, 4, 3, 2, 1, 1, 4, 1f, true, Parallel.serial()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sk >= sq");
        assertThatThrownBy(() -> Attention.attend(m, 4, m, 4, m, 4, m, 3, 1, 1, 1, 1, 4, 1f, false, Parallel.serial()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stride");
        assertThatThrownBy(() -> Attention.attend(m, 4, m, 4, m, 4, m, 4, 17, 17, 1, 1, 4, 1f, false, Parallel.serial()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bytes");
        assertThatThrownBy(() -> Attention.attend(m, 4, m, 4, m, 4, m, 4, 2, 2, 1, 1, 4, 1f, false,
                AttentionProbe.of(new int[] {2}, 2), Parallel.serial()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("probe row");
    }

    private static void compare(Random random, int sq, int sk, int hq, int hkv, int d, boolean causal, float amplitude,
            boolean nativeMemory, Parallel parallel, double tolerance, String what) {
        long qStride = (long) hq * d + random.nextInt(3) * random.nextInt(9);
        long kStride = (long) hkv * d + random.nextInt(3) * random.nextInt(9);
        long vStride = (long) hkv * d + random.nextInt(3) * random.nextInt(9);
        long outStride = (long) hq * d + random.nextInt(3) * random.nextInt(9);
        float scale = (float) (1 / Math.sqrt(d));
        float[] q = randoms(random, sq * qStride, amplitude);
        float[] k = randoms(random, sk * kStride, amplitude);
        float[] v = randoms(random, sk * vStride, 1f);
        int[] rows = probeRows(random, sq);
        boolean heads = random.nextBoolean();
        AttentionProbe expectedProbe = heads ? AttentionProbe.withHeads(rows, sk, hq) : AttentionProbe.of(rows, sk);
        AttentionProbe actualProbe = random.nextInt(8) == 0 ? null
                : heads ? AttentionProbe.withHeads(rows, sk, hq) : AttentionProbe.of(rows, sk);
        float sentinel = 12345f;
        float[] expected = new float[(int) (sq * outStride)];
        java.util.Arrays.fill(expected, sentinel);
        AttentionReference.attend(MemorySegment.ofArray(q), qStride, MemorySegment.ofArray(k), kStride,
                MemorySegment.ofArray(v), vStride, MemorySegment.ofArray(expected), outStride,
                sq, sk, hq, hkv, d, scale, causal, expectedProbe);

        float[] actual = new float[expected.length];
        java.util.Arrays.fill(actual, sentinel);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment qs = segment(q, nativeMemory, arena);
            MemorySegment ks = segment(k, nativeMemory, arena);
            MemorySegment vs = segment(v, nativeMemory, arena);
            MemorySegment os = segment(actual, nativeMemory, arena);
            Attention.attend(qs, qStride, ks, kStride, vs, vStride, os, outStride, sq, sk, hq, hkv, d, scale, causal,
                    actualProbe, parallel);
            MemorySegment.ofArray(actual).copyFrom(os);
        }
        for (int i = 0; i < actual.length; i++) {
            double allowed = 1e-5 * Math.abs(expected[i]) + tolerance;
            if (!(Math.abs(actual[i] - expected[i]) <= allowed)) {
                throw new AssertionError(what + ": out[" + i / outStride + ", " + i % outStride + "] = " + actual[i]
                        + ", reference " + expected[i]);
            }
        }
        if (actualProbe == null) {
            return;
        }
        checkProbe(what + " mean", actualProbe.mean(), expectedProbe.mean(), sk, tolerance);
        if (heads) {
            checkProbe(what + " per head", actualProbe.perHead(), expectedProbe.perHead(), sk, tolerance);
        }
        for (int r = 0; r < rows.length; r++) {
            int visible = causal ? rows[r] + sk - sq + 1 : sk;
            for (int j = visible; j < sk; j++) {
                assertThat(actualProbe.mean()[r * sk + j]).as(what + " masked key").isZero();
            }
        }
    }

    private static void checkProbe(String what, float[] actual, float[] expected, int sk, double tolerance) {
        for (int i = 0; i < actual.length; i++) {
            if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
                throw new AssertionError(what + ": probe[" + i / sk + ", " + i % sk + "] = " + actual[i]
                        + ", reference " + expected[i]);
            }
        }
        for (int r = 0; r < actual.length / sk; r++) {
            double sum = 0;
            for (int j = 0; j < sk; j++) {
                sum += actual[r * sk + j];
            }
            if (Math.abs(sum - 1) > 1e-5) {
                throw new AssertionError(what + ": probe row " + r + " sums to " + sum);
            }
        }
    }

    private static int[] probeRows(Random random, int sq) {
        return switch (random.nextInt(4)) {
            case 0 -> new int[] {sq - 1};
            case 1 -> new int[] {0};
            case 2 -> new int[] {};
            default -> new int[] {random.nextInt(sq), sq - 1, 0, random.nextInt(sq)};
        };
    }

    private static float[] randoms(Random random, long n, float amplitude) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) {
            a[i] = amplitude * (2 * random.nextFloat() - 1);
        }
        return a;
    }

    private static MemorySegment segment(float[] a, boolean nativeMemory, Arena arena) {
        if (!nativeMemory) {
            return MemorySegment.ofArray(a);
        }
        MemorySegment s = arena.allocate(Math.max(4, 4L * a.length), 4);
        s.copyFrom(MemorySegment.ofArray(a));
        return s;
    }

    private static void run(boolean reference, float[] q, long qStride, float[] k, long kStride, float[] v, long vStride,
            float[] out, long outStride, int sq, int sk, int hq, int hkv, int d, float scale, boolean causal,
            AttentionProbe probe, Parallel parallel) {
        MemorySegment os = MemorySegment.ofArray(out);
        if (reference) {
            AttentionReference.attend(MemorySegment.ofArray(q), qStride, MemorySegment.ofArray(k), kStride,
                    MemorySegment.ofArray(v), vStride, os, outStride, sq, sk, hq, hkv, d, scale, causal, probe);
        } else {
            Attention.attend(MemorySegment.ofArray(q), qStride, MemorySegment.ofArray(k), kStride,
                    MemorySegment.ofArray(v), vStride, os, outStride, sq, sk, hq, hkv, d, scale, causal, probe, parallel);
        }
    }
}
