package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head and grouped-query attention as Hugging Face's eager attention computes it, in
 * float32, with optional exact probabilities of chosen query rows ({@link AttentionProbe}).
 *
 * <h2>Semantics</h2>
 * Queries {@code q} are {@code [sq, hq*d]}, keys {@code k} and values {@code v} are
 * {@code [sk, hkv*d]}, the output {@code out} is {@code [sq, hq*d]}, each with its own row stride
 * in floats. Query head h reads kv head {@code h / (hq/hkv)}. score(i, j) = scale * q[i,h,:] .
 * k[j,g,:]; p(i, .) = softmax over the keys row i may see; out[i,h,:] = sum_j p(i,j) v[j,g,:].
 * Bidirectional attention lets every row see every key; causal attention treats the sq queries
 * as the last sq of the sk positions, so row i sees key j iff {@code j <= i + (sk - sq)} (prefill
 * when sq == sk, KV-cache decode when sq == 1). {@code out} must not overlap the inputs.
 *
 * <h2>Method</h2>
 * Work is split into tasks of one query head and a tile of {@link #TILE_ROWS} query rows (two
 * vectors' worth of lanes), head by head and within a head the heaviest causal tiles first. A task
 * walks the keys it may see in blocks of {@link #KEY_BLOCK} with an online softmax (running max m
 * and sum l per row, the accumulator rescaled when m grows), so nothing of size sq x sk is ever
 * held. Keys and values are read from per-thread copies padded to whole vectors: the whole kv
 * head, packed once per thread and head and reused by that thread's next tiles of the same kv
 * head (up to {@code packLimit} floats), else block by block. Tiles with more than
 * {@code NARROW_ROWS} rows run with query rows along vector lanes (the tile's queries are
 * transposed once, so score and softmax need no horizontal reductions); thinner tiles (decode)
 * run row by row with the head dimension along the lanes.
 *
 * <p>Probes recompute nothing: a task whose tile holds a probed row copies that row's scores out of
 * each key block before the softmax overwrites them (a check per task and per key block, never in
 * the inner loops), and when the tile is done takes a full softmax of the captured row (sum in
 * double). The probabilities are those of the very scores the output was computed from, and equal
 * the scalar definition to float rounding.
 */
public final class Attention {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    /** Query rows per task: the lanes of two vectors. */
    public static final int TILE_ROWS = 2 * L;
    /** Keys per block of the online softmax. */
    public static final int KEY_BLOCK = 64;
    /** Tiles with at most this many rows run row by row. */
    static final int NARROW_ROWS = 4;
    /**
     * Most floats of packed keys and values a thread keeps (16 MiB). Rows of one head in a
     * [tokens, heads * d] matrix lie a power of two apart, so block by block they fall into a few
     * cache sets and are fetched from L3 again for every tile; packed, they stay in L2. Not final
     * so that tests can exercise the block-by-block path.
     */
    static long packLimit = 1L << 22;
    private static final java.util.concurrent.atomic.AtomicLong CALLS = new java.util.concurrent.atomic.AtomicLong();

    private static final ValueLayout.OfFloat F32 = WeightMatrix.F32_LE;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final FloatVector IOTA = FloatVector.fromArray(SPECIES, iota(), 0);
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private Attention() {}

    /**
     * Computes attention into {@code out}, and fills {@code probe} when it is not null.
     *
     * @param q       queries, {@code sq} rows of {@code hq*d} floats, {@code qStride} floats apart
     * @param k       keys, {@code sk} rows of {@code hkv*d} floats, {@code kStride} floats apart
     * @param v       values, {@code sk} rows of {@code hkv*d} floats, {@code vStride} floats apart
     * @param out     output, {@code sq} rows of {@code hq*d} floats, {@code outStride} floats apart
     * @param scale   score multiplier, usually {@code 1/sqrt(d)}
     * @param causal  whether row i sees only keys {@code j <= i + sk - sq}
     * @param probe   rows whose probabilities to report, or null
     */
    public static void attend(
            MemorySegment q, long qStride,
            MemorySegment k, long kStride,
            MemorySegment v, long vStride,
            MemorySegment out, long outStride,
            int sq, int sk, int hq, int hkv, int d,
            float scale, boolean causal, AttentionProbe probe, Parallel parallel) {
        validate(q, qStride, k, kStride, v, vStride, out, outStride, sq, sk, hq, hkv, d, causal, probe);
        Objects.requireNonNull(parallel, "parallel");
        if (sq == 0) {
            return;
        }
        float[] perHead = null;
        if (probe != null && probe.rows().length > 0) {
            perHead = probe.perHead() != null ? probe.perHead() : new float[probe.rows().length * hq * sk];
        }
        Job job = new Job(CALLS.incrementAndGet(), q, qStride, k, kStride, v, vStride, out, outStride,
                sq, sk, hq, hkv, d, scale, causal, perHead == null ? null : probe.rows(), perHead);
        int tiles = (sq + TILE_ROWS - 1) / TILE_ROWS;
        // Head by head (so a thread's packed keys and values serve its next tile too), heaviest causal tile first.
        parallel.forEach(tiles * hq, t -> tile(job, t / tiles, tiles - 1 - t % tiles, BUFFERS.get()));
        if (perHead != null) {
            int rows = probe.rows().length;
            float[] mean = probe.mean();
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < sk; j++) {
                    double sum = 0;
                    for (int h = 0; h < hq; h++) {
                        sum += perHead[(r * hq + h) * sk + j];
                    }
                    mean[r * sk + j] = (float) (sum / hq);
                }
            }
        }
    }

    /** {@link #attend} without probes. */
    public static void attend(
            MemorySegment q, long qStride,
            MemorySegment k, long kStride,
            MemorySegment v, long vStride,
            MemorySegment out, long outStride,
            int sq, int sk, int hq, int hkv, int d,
            float scale, boolean causal, Parallel parallel) {
        attend(q, qStride, k, kStride, v, vStride, out, outStride, sq, sk, hq, hkv, d, scale, causal, null, parallel);
    }

    static void validate(
            MemorySegment q, long qStride,
            MemorySegment k, long kStride,
            MemorySegment v, long vStride,
            MemorySegment out, long outStride,
            int sq, int sk, int hq, int hkv, int d, boolean causal, AttentionProbe probe) {
        if (hq < 1 || hkv < 1 || hq % hkv != 0) {
            throw new IllegalArgumentException("query heads " + hq + " must be a positive multiple of kv heads " + hkv);
        }
        if (d < 1 || sq < 0 || sk < 0) {
            throw new IllegalArgumentException("bad attention geometry sq=" + sq + " sk=" + sk + " d=" + d);
        }
        if (sq > 0 && sk == 0) {
            throw new IllegalArgumentException("queries need at least one key");
        }
        if (causal && sk < sq) {
            throw new IllegalArgumentException("causal attention needs sk >= sq (queries are the last sq positions), got sq="
                    + sq + " sk=" + sk);
        }
        checkMatrix("q", q, sq, (long) hq * d, qStride);
        checkMatrix("k", k, sk, (long) hkv * d, kStride);
        checkMatrix("v", v, sk, (long) hkv * d, vStride);
        checkMatrix("out", out, sq, (long) hq * d, outStride);
        if (probe != null) {
            probe.validate(sq, sk, hq);
        }
    }

    private static void checkMatrix(String name, MemorySegment m, int rows, long width, long stride) {
        Objects.requireNonNull(m, name);
        if (stride < width) {
            throw new IllegalArgumentException(name + " row stride " + stride + " is less than its width " + width);
        }
        if (rows > 0 && m.byteSize() < 4 * ((rows - 1) * stride + width)) {
            throw new IllegalArgumentException(name + " needs " + 4 * ((rows - 1) * stride + width)
                    + " bytes, segment has " + m.byteSize());
        }
    }

    /** One call's arguments, shared by its tasks; strides and head offsets in bytes. */
    private record Job(
            long id,
            MemorySegment q, long qStride,
            MemorySegment k, long kStride,
            MemorySegment v, long vStride,
            MemorySegment out, long outStride,
            int sq, int sk, int hq, int hkv, int d,
            float scale, boolean causal, int[] probeRows, float[] perHead) {}

    /** Per-thread scratch, grown as needed and reused across tasks and calls. */
    private static final class Buffers {
        float[] qt = new float[0];      // [d][TILE_ROWS]: the tile's queries, scaled, transposed
        float[] qrows = new float[0];   // [NARROW_ROWS or 1][dPad]: scaled query rows, zero-padded
        float[] kb = new float[0];      // [KEY_BLOCK][dPad]
        float[] vb = new float[0];      // [KEY_BLOCK][dPad]
        float[] s = new float[KEY_BLOCK * TILE_ROWS]; // wide: [key][row]; narrow: [key]
        float[] o = new float[0];       // [TILE_ROWS][dPad] accumulators
        final float[] m = new float[TILE_ROWS];
        final float[] l = new float[TILE_ROWS];
        final float[] alpha = new float[TILE_ROWS];
        float[] pk = new float[0];      // [keys][dPad]: keys of kv head packHead of call packCall
        float[] pv = new float[0];      // [keys][dPad]: its values
        long packCall = -1;
        int packHead = -1;
        int packKeys = 0;
        float[] scores = new float[0];  // [probes in tile][sk]: captured score rows
        int[] probes = new int[0];      // indices into probeRows of the rows in this tile

        /** Makes pk and pv hold at least the first {@code keys} rows of kv head g of this call. */
        void pack(Job job, int g, int keys, int dPad) {
            if (packCall != job.id() || packHead != g) {
                packCall = job.id();
                packHead = g;
                packKeys = 0;
            }
            if (packKeys >= keys) {
                return;
            }
            if (pk.length < job.sk() * dPad) {
                // Grown by half again: decode adds one key per call, and growing to the exact size reallocated every step.
                int size = Math.max(job.sk() * dPad, pk.length + pk.length / 2);
                pk = java.util.Arrays.copyOf(pk, size);
                pv = java.util.Arrays.copyOf(pv, size);
            }
            long base = 4L * g * job.d();
            copyRows(job.k(), base, 4 * job.kStride(), packKeys, keys - packKeys, job.d(), dPad, pk, packKeys * dPad);
            copyRows(job.v(), base, 4 * job.vStride(), packKeys, keys - packKeys, job.d(), dPad, pv, packKeys * dPad);
            packKeys = keys;
        }

        void ensure(int d, int dPad) {
            if (qt.length < d * TILE_ROWS) {
                qt = new float[d * TILE_ROWS];
            }
            if (kb.length < KEY_BLOCK * dPad) {
                kb = new float[KEY_BLOCK * dPad];
                vb = new float[KEY_BLOCK * dPad];
            }
            if (o.length < TILE_ROWS * dPad) {
                o = new float[TILE_ROWS * dPad];
                qrows = new float[NARROW_ROWS * dPad];
            }
        }
    }

    private static void tile(Job job, int h, int tile, Buffers b) {
        int d = job.d;
        int dPad = (d + L - 1) / L * L;
        int sq = job.sq;
        int sk = job.sk;
        int q0 = tile * TILE_ROWS;
        int nq = Math.min(TILE_ROWS, sq - q0);
        int shift = job.causal ? sk - sq : sk; // row i sees keys j <= i + shift (bidirectional: all)
        int keys = Math.min(sk, q0 + nq + shift);
        b.ensure(d, dPad);
        java.util.Arrays.fill(b.m, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(b.l, 0f);
        java.util.Arrays.fill(b.o, 0, TILE_ROWS * dPad, 0f);
        int probes = 0;
        if (job.probeRows != null) {
            int[] rows = job.probeRows;
            for (int r = 0; r < rows.length; r++) {
                if (rows[r] >= q0 && rows[r] < q0 + nq) {
                    if (b.probes.length <= probes) {
                        b.probes = java.util.Arrays.copyOf(b.probes, rows.length);
                    }
                    b.probes[probes++] = r;
                }
            }
            if (b.scores.length < probes * sk) {
                b.scores = new float[probes * sk];
            }
        }
        if (nq > NARROW_ROWS) {
            wide(job, h, q0, nq, keys, shift, dPad, probes, b);
        } else {
            narrow(job, h, q0, nq, shift, dPad, probes, b);
        }
        // out[i, h, :] = o[i] / l[i]
        float[] o = b.o;
        int full = SPECIES.loopBound(d);
        for (int i = 0; i < nq; i++) {
            float inv = 1f / b.l[i];
            long row = 4 * ((q0 + i) * job.outStride + (long) h * d);
            int c = 0;
            for (; c < full; c += L) {
                FloatVector.fromArray(SPECIES, o, i * dPad + c).mul(inv).intoMemorySegment(job.out, row + 4L * c, LE);
            }
            for (; c < d; c++) {
                job.out.set(F32, row + 4L * c, o[i * dPad + c] * inv);
            }
        }
        for (int p = 0; p < probes; p++) {
            int r = b.probes[p];
            finishProbe(job, h, r, job.probeRows[r], shift, b.scores, p * sk);
        }
    }

    /** A tile of more than NARROW_ROWS rows, query rows along lanes. */
    private static void wide(Job job, int h, int q0, int nq, int keys, int shift, int dPad, int probes, Buffers b) {
        final int d = job.d;
        final int bq = TILE_ROWS;
        final float[] qt = b.qt;
        final int g = h / (job.hq / job.hkv);
        // Keys and values: the kv head's rows packed once per thread and head (tiles of a head run
        // in a row), or block by block when the packed copy would be too large.
        final boolean packed = 2L * job.sk * dPad <= packLimit;
        final float[] kb;
        final float[] vb;
        if (packed) {
            b.pack(job, g, keys, dPad);
            kb = b.pk;
            vb = b.pv;
        } else {
            kb = b.kb;
            vb = b.vb;
        }
        final float[] s = b.s;
        final float[] o = b.o;
        final float[] m = b.m;
        final float[] l = b.l;
        final float[] alpha = b.alpha;
        final long kBase = 4L * g * d;
        final long kStride = 4 * job.kStride;
        final long vStride = 4 * job.vStride;

        // The tile's queries, scaled and transposed: qt[c * bq + i]; rows past the tile are zero.
        final float[] row = b.qrows;
        final float scale = job.scale;
        for (int i = 0; i < bq; i++) {
            if (i < nq) {
                MemorySegment.copy(job.q, F32, 4 * ((q0 + i) * job.qStride + (long) h * d), row, 0, d);
                for (int c = 0; c < d; c++) {
                    qt[c * bq + i] = scale * row[c];
                }
            } else {
                for (int c = 0; c < d; c++) {
                    qt[c * bq + i] = 0f;
                }
            }
        }

        for (int j0 = 0; j0 < keys; j0 += KEY_BLOCK) {
            final int nk = Math.min(KEY_BLOCK, keys - j0);
            final int kv0;
            if (packed) {
                kv0 = j0 * dPad;
            } else {
                kv0 = 0;
                copyRows(job.k, kBase, kStride, j0, nk, d, dPad, kb, 0);
                copyRows(job.v, kBase, vStride, j0, nk, d, dPad, vb, 0);
            }

            // Scores s[jj * bq + i] = qt[:, i] . k[jj], four keys by two vectors of rows at a time.
            int jj = 0;
            for (; jj + 4 <= nk; jj += 4) {
                FloatVector a00 = FloatVector.zero(SPECIES), a01 = FloatVector.zero(SPECIES);
                FloatVector a10 = FloatVector.zero(SPECIES), a11 = FloatVector.zero(SPECIES);
                FloatVector a20 = FloatVector.zero(SPECIES), a21 = FloatVector.zero(SPECIES);
                FloatVector a30 = FloatVector.zero(SPECIES), a31 = FloatVector.zero(SPECIES);
                int k0 = kv0 + jj * dPad;
                int k1 = k0 + dPad;
                int k2 = k1 + dPad;
                int k3 = k2 + dPad;
                for (int c = 0; c < d; c++) {
                    FloatVector x0 = FloatVector.fromArray(SPECIES, qt, c * bq);
                    FloatVector x1 = FloatVector.fromArray(SPECIES, qt, c * bq + L);
                    FloatVector y = FloatVector.broadcast(SPECIES, kb[k0 + c]);
                    a00 = x0.fma(y, a00);
                    a01 = x1.fma(y, a01);
                    y = FloatVector.broadcast(SPECIES, kb[k1 + c]);
                    a10 = x0.fma(y, a10);
                    a11 = x1.fma(y, a11);
                    y = FloatVector.broadcast(SPECIES, kb[k2 + c]);
                    a20 = x0.fma(y, a20);
                    a21 = x1.fma(y, a21);
                    y = FloatVector.broadcast(SPECIES, kb[k3 + c]);
                    a30 = x0.fma(y, a30);
                    a31 = x1.fma(y, a31);
                }
                a00.intoArray(s, jj * bq);
                a01.intoArray(s, jj * bq + L);
                a10.intoArray(s, (jj + 1) * bq);
                a11.intoArray(s, (jj + 1) * bq + L);
                a20.intoArray(s, (jj + 2) * bq);
                a21.intoArray(s, (jj + 2) * bq + L);
                a30.intoArray(s, (jj + 3) * bq);
                a31.intoArray(s, (jj + 3) * bq + L);
            }
            for (; jj < nk; jj++) {
                FloatVector a0 = FloatVector.zero(SPECIES), a1 = FloatVector.zero(SPECIES);
                int k0 = kv0 + jj * dPad;
                for (int c = 0; c < d; c++) {
                    FloatVector y = FloatVector.broadcast(SPECIES, kb[k0 + c]);
                    a0 = FloatVector.fromArray(SPECIES, qt, c * bq).fma(y, a0);
                    a1 = FloatVector.fromArray(SPECIES, qt, c * bq + L).fma(y, a1);
                }
                a0.intoArray(s, jj * bq);
                a1.intoArray(s, jj * bq + L);
            }

            // Causal mask on blocks that reach past the first row's horizon: row i misses key j when i < j - q0 - shift.
            if (j0 + nk - 1 > q0 + shift) {
                for (jj = 0; jj < nk; jj++) {
                    int limit = j0 + jj - q0 - shift;
                    if (limit > 0) {
                        for (int half = 0; half < bq; half += L) {
                            VectorMask<Float> hidden = IOTA.compare(VectorOperators.LT, (float) (limit - half));
                            FloatVector.fromArray(SPECIES, s, jj * bq + half)
                                    .blend(Float.NEGATIVE_INFINITY, hidden)
                                    .intoArray(s, jj * bq + half);
                        }
                    }
                }
            }

            // Probed rows: keep their scores before the softmax overwrites them.
            for (int p = 0; p < probes; p++) {
                int li = job.probeRows[b.probes[p]] - q0;
                int dst = p * job.sk + j0;
                float[] scores = b.scores;
                for (jj = 0; jj < nk; jj++) {
                    scores[dst + jj] = s[jj * bq + li];
                }
            }

            // Online softmax, rows along lanes: m' = max(m, max_j s), p = exp(s - m'), l' = l e^(m - m') + sum p.
            // Key 0 is in every tile's first block and visible to every row, so m is finite from then on.
            // The exponentials are taken in bulk (Exp.expInPlace) so this large method holds no exp code itself.
            for (int half = 0; half < bq; half += L) {
                FloatVector mOld = FloatVector.fromArray(SPECIES, m, half);
                FloatVector mx = mOld;
                for (jj = 0; jj < nk; jj++) {
                    mx = mx.max(FloatVector.fromArray(SPECIES, s, jj * bq + half));
                }
                for (jj = 0; jj < nk; jj++) {
                    FloatVector.fromArray(SPECIES, s, jj * bq + half).sub(mx).intoArray(s, jj * bq + half);
                }
                mOld.sub(mx).intoArray(alpha, half);
                mx.intoArray(m, half);
            }
            Exp.expInPlace(s, 0, nk * bq);
            Exp.expInPlace(alpha, 0, bq);
            for (int half = 0; half < bq; half += L) {
                FloatVector sum = FloatVector.zero(SPECIES);
                for (jj = 0; jj < nk; jj++) {
                    sum = sum.add(FloatVector.fromArray(SPECIES, s, jj * bq + half));
                }
                FloatVector.fromArray(SPECIES, l, half).fma(FloatVector.fromArray(SPECIES, alpha, half), sum).intoArray(l, half);
            }
            if (j0 > 0) {
                for (int i = 0; i < nq; i++) {
                    float a = alpha[i];
                    if (a != 1f) {
                        for (int c = i * dPad, end = c + dPad; c < end; c += L) {
                            FloatVector.fromArray(SPECIES, o, c).mul(a).intoArray(o, c);
                        }
                    }
                }
            }

            // o[i] += sum_j p[j][i] v[j]: four rows by two vectors of columns at a time.
            int i = 0;
            for (; i + 4 <= nq; i += 4) {
                int o0 = i * dPad;
                int o1 = o0 + dPad;
                int o2 = o1 + dPad;
                int o3 = o2 + dPad;
                int c = 0;
                for (; c + 2 * L <= dPad; c += 2 * L) {
                    FloatVector a00 = FloatVector.fromArray(SPECIES, o, o0 + c), a01 = FloatVector.fromArray(SPECIES, o, o0 + c + L);
                    FloatVector a10 = FloatVector.fromArray(SPECIES, o, o1 + c), a11 = FloatVector.fromArray(SPECIES, o, o1 + c + L);
                    FloatVector a20 = FloatVector.fromArray(SPECIES, o, o2 + c), a21 = FloatVector.fromArray(SPECIES, o, o2 + c + L);
                    FloatVector a30 = FloatVector.fromArray(SPECIES, o, o3 + c), a31 = FloatVector.fromArray(SPECIES, o, o3 + c + L);
                    for (jj = 0; jj < nk; jj++) {
                        FloatVector x0 = FloatVector.fromArray(SPECIES, vb, kv0 + jj * dPad + c);
                        FloatVector x1 = FloatVector.fromArray(SPECIES, vb, kv0 + jj * dPad + c + L);
                        int p = jj * bq + i;
                        FloatVector y = FloatVector.broadcast(SPECIES, s[p]);
                        a00 = x0.fma(y, a00);
                        a01 = x1.fma(y, a01);
                        y = FloatVector.broadcast(SPECIES, s[p + 1]);
                        a10 = x0.fma(y, a10);
                        a11 = x1.fma(y, a11);
                        y = FloatVector.broadcast(SPECIES, s[p + 2]);
                        a20 = x0.fma(y, a20);
                        a21 = x1.fma(y, a21);
                        y = FloatVector.broadcast(SPECIES, s[p + 3]);
                        a30 = x0.fma(y, a30);
                        a31 = x1.fma(y, a31);
                    }
                    a00.intoArray(o, o0 + c);
                    a01.intoArray(o, o0 + c + L);
                    a10.intoArray(o, o1 + c);
                    a11.intoArray(o, o1 + c + L);
                    a20.intoArray(o, o2 + c);
                    a21.intoArray(o, o2 + c + L);
                    a30.intoArray(o, o3 + c);
                    a31.intoArray(o, o3 + c + L);
                }
                if (c < dPad) {
                    FloatVector a0 = FloatVector.fromArray(SPECIES, o, o0 + c);
                    FloatVector a1 = FloatVector.fromArray(SPECIES, o, o1 + c);
                    FloatVector a2 = FloatVector.fromArray(SPECIES, o, o2 + c);
                    FloatVector a3 = FloatVector.fromArray(SPECIES, o, o3 + c);
                    for (jj = 0; jj < nk; jj++) {
                        FloatVector x = FloatVector.fromArray(SPECIES, vb, kv0 + jj * dPad + c);
                        int p = jj * bq + i;
                        a0 = x.fma(FloatVector.broadcast(SPECIES, s[p]), a0);
                        a1 = x.fma(FloatVector.broadcast(SPECIES, s[p + 1]), a1);
                        a2 = x.fma(FloatVector.broadcast(SPECIES, s[p + 2]), a2);
                        a3 = x.fma(FloatVector.broadcast(SPECIES, s[p + 3]), a3);
                    }
                    a0.intoArray(o, o0 + c);
                    a1.intoArray(o, o1 + c);
                    a2.intoArray(o, o2 + c);
                    a3.intoArray(o, o3 + c);
                }
            }
            for (; i < nq; i++) {
                int o0 = i * dPad;
                for (int c = 0; c < dPad; c += L) {
                    FloatVector a0 = FloatVector.fromArray(SPECIES, o, o0 + c);
                    FloatVector a1 = FloatVector.zero(SPECIES);
                    jj = 0;
                    for (; jj + 2 <= nk; jj += 2) {
                        a0 = FloatVector.fromArray(SPECIES, vb, kv0 + jj * dPad + c).fma(FloatVector.broadcast(SPECIES, s[jj * bq + i]), a0);
                        a1 = FloatVector.fromArray(SPECIES, vb, kv0 + (jj + 1) * dPad + c).fma(FloatVector.broadcast(SPECIES, s[(jj + 1) * bq + i]), a1);
                    }
                    if (jj < nk) {
                        a0 = FloatVector.fromArray(SPECIES, vb, kv0 + jj * dPad + c).fma(FloatVector.broadcast(SPECIES, s[jj * bq + i]), a0);
                    }
                    a0.add(a1).intoArray(o, o0 + c);
                }
            }
        }
    }

    /** A tile of at most NARROW_ROWS rows (decode), one row at a time with the head dimension along lanes. */
    private static void narrow(Job job, int h, int q0, int nq, int shift, int dPad, int probes, Buffers b) {
        final int d = job.d;
        final float[] qrows = b.qrows;
        final float[] kb = b.kb;
        final float[] vb = b.vb;
        final float[] s = b.s;
        final float[] o = b.o;
        final float[] m = b.m;
        final float[] l = b.l;
        final int g = h / (job.hq / job.hkv);
        final long kBase = 4L * g * d;
        final int keys = Math.min(job.sk, q0 + nq + shift);
        for (int i = 0; i < nq; i++) {
            loadRow(job, h, q0 + i, dPad, qrows, i * dPad);
        }
        for (int j0 = 0; j0 < keys; j0 += KEY_BLOCK) {
            final int nk = Math.min(KEY_BLOCK, keys - j0);
            copyRows(job.k, kBase, 4 * job.kStride, j0, nk, d, dPad, kb, 0);
            copyRows(job.v, kBase, 4 * job.vStride, j0, nk, d, dPad, vb, 0);
            for (int i = 0; i < nq; i++) {
                int n = Math.min(nk, q0 + i + shift + 1 - j0); // keys of this block row i sees
                if (n <= 0) {
                    continue;
                }
                dots(qrows, i * dPad, kb, dPad, n, s, 0);
                for (int p = 0; p < probes; p++) {
                    if (job.probeRows[b.probes[p]] == q0 + i) {
                        System.arraycopy(s, 0, b.scores, p * job.sk + j0, n);
                    }
                }
                float mx = m[i];
                for (int jj = 0; jj < n; jj++) {
                    mx = Math.max(mx, s[jj]);
                }
                for (int jj = 0; jj < n; jj++) {
                    s[jj] -= mx;
                }
                Exp.expInPlace(s, 0, n);
                float sum = 0f;
                int jj = 0;
                FloatVector sv = FloatVector.zero(SPECIES);
                for (int bound = SPECIES.loopBound(n); jj < bound; jj += L) {
                    sv = sv.add(FloatVector.fromArray(SPECIES, s, jj));
                }
                for (; jj < n; jj++) {
                    sum += s[jj];
                }
                if (L == 16) {  // Lanes.sum written out, as in dots: no vector crosses a call
                    sv = sv.add(sv.rearrange(Lanes.ROTATE_512_8));
                    sv = sv.add(sv.rearrange(Lanes.ROTATE_512_4));
                    sv = sv.add(sv.rearrange(Lanes.ROTATE_512_2));
                    sum += sv.add(sv.rearrange(Lanes.ROTATE_512_1)).lane(0);
                } else if (L == 8) {  // the same for AVX2's 8 lanes
                    sv = sv.add(sv.rearrange(Lanes.ROTATE_256_4));
                    sv = sv.add(sv.rearrange(Lanes.ROTATE_256_2));
                    sum += sv.add(sv.rearrange(Lanes.ROTATE_256_1)).lane(0);
                } else {
                    sum += Lanes.sum(sv);
                }
                float a = Exp.exp(m[i] - mx);
                l[i] = l[i] * a + sum;
                m[i] = mx;
                int o0 = i * dPad;
                for (int c = 0; c < dPad; c += L) {
                    FloatVector a0 = FloatVector.fromArray(SPECIES, o, o0 + c).mul(a);
                    FloatVector a1 = FloatVector.zero(SPECIES);
                    FloatVector a2 = FloatVector.zero(SPECIES);
                    FloatVector a3 = FloatVector.zero(SPECIES);
                    jj = 0;
                    for (; jj + 4 <= n; jj += 4) {
                        a0 = FloatVector.fromArray(SPECIES, vb, jj * dPad + c).fma(FloatVector.broadcast(SPECIES, s[jj]), a0);
                        a1 = FloatVector.fromArray(SPECIES, vb, (jj + 1) * dPad + c).fma(FloatVector.broadcast(SPECIES, s[jj + 1]), a1);
                        a2 = FloatVector.fromArray(SPECIES, vb, (jj + 2) * dPad + c).fma(FloatVector.broadcast(SPECIES, s[jj + 2]), a2);
                        a3 = FloatVector.fromArray(SPECIES, vb, (jj + 3) * dPad + c).fma(FloatVector.broadcast(SPECIES, s[jj + 3]), a3);
                    }
                    for (; jj < n; jj++) {
                        a0 = FloatVector.fromArray(SPECIES, vb, jj * dPad + c).fma(FloatVector.broadcast(SPECIES, s[jj]), a0);
                    }
                    a0.add(a1).add(a2.add(a3)).intoArray(o, o0 + c);
                }
            }
        }
    }

    /** Softmax of the captured scores of query row i (probe r) for head h, into job.perHead's row (r, h). */
    private static void finishProbe(Job job, int h, int r, int i, int shift, float[] scores, int off) {
        final int sk = job.sk;
        final int n = Math.min(sk, i + shift + 1);
        final int bound = SPECIES.loopBound(n);
        float mx = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (bound > 0) {
            FloatVector mv = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            for (; j < bound; j += L) {
                mv = mv.max(FloatVector.fromArray(SPECIES, scores, off + j));
            }
            mx = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) {
            mx = Math.max(mx, scores[off + j]);
        }
        float[] dst = job.perHead;
        int base = (r * job.hq + h) * sk;
        for (j = 0; j < n; j++) {
            dst[base + j] = scores[off + j] - mx;
        }
        Exp.expInPlace(dst, base, base + n);
        double sum = 0;
        for (j = 0; j < n; j++) {
            sum += dst[base + j];
        }
        for (j = 0; j < n; j++) {
            dst[base + j] = (float) (dst[base + j] / sum);
        }
        java.util.Arrays.fill(dst, base + n, base + sk, 0f);
    }

    /** dst[dstOff + jj] = q[qOff .. qOff + dPad) . kb[jj * dPad ..] for jj < n. */
    private static void dots(float[] q, int qOff, float[] kb, int dPad, int n, float[] dst, int dstOff) {
        int jj = 0;
        for (; jj + 4 <= n; jj += 4) {
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = FloatVector.zero(SPECIES);
            FloatVector a2 = FloatVector.zero(SPECIES), a3 = FloatVector.zero(SPECIES);
            int k0 = jj * dPad;
            for (int c = 0; c < dPad; c += L) {
                FloatVector x = FloatVector.fromArray(SPECIES, q, qOff + c);
                a0 = FloatVector.fromArray(SPECIES, kb, k0 + c).fma(x, a0);
                a1 = FloatVector.fromArray(SPECIES, kb, k0 + dPad + c).fma(x, a1);
                a2 = FloatVector.fromArray(SPECIES, kb, k0 + 2 * dPad + c).fma(x, a2);
                a3 = FloatVector.fromArray(SPECIES, kb, k0 + 3 * dPad + c).fma(x, a3);
            }
            if (L == 16) {
                // Lanes.sum's tree written out: a vector passed to Lanes.sum is boxed whenever C2
                // declines to inline it here (seen: 57 MB allocated per decode token at 611
                // positions), and written out the adds and shuffles are the same, so are the bits.
                a0 = a0.add(a0.rearrange(Lanes.ROTATE_512_8));
                a1 = a1.add(a1.rearrange(Lanes.ROTATE_512_8));
                a2 = a2.add(a2.rearrange(Lanes.ROTATE_512_8));
                a3 = a3.add(a3.rearrange(Lanes.ROTATE_512_8));
                a0 = a0.add(a0.rearrange(Lanes.ROTATE_512_4));
                a1 = a1.add(a1.rearrange(Lanes.ROTATE_512_4));
                a2 = a2.add(a2.rearrange(Lanes.ROTATE_512_4));
                a3 = a3.add(a3.rearrange(Lanes.ROTATE_512_4));
                a0 = a0.add(a0.rearrange(Lanes.ROTATE_512_2));
                a1 = a1.add(a1.rearrange(Lanes.ROTATE_512_2));
                a2 = a2.add(a2.rearrange(Lanes.ROTATE_512_2));
                a3 = a3.add(a3.rearrange(Lanes.ROTATE_512_2));
                dst[dstOff + jj] = a0.add(a0.rearrange(Lanes.ROTATE_512_1)).lane(0);
                dst[dstOff + jj + 1] = a1.add(a1.rearrange(Lanes.ROTATE_512_1)).lane(0);
                dst[dstOff + jj + 2] = a2.add(a2.rearrange(Lanes.ROTATE_512_1)).lane(0);
                dst[dstOff + jj + 3] = a3.add(a3.rearrange(Lanes.ROTATE_512_1)).lane(0);
            } else if (L == 8) {  // the same for AVX2's 8 lanes
                a0 = a0.add(a0.rearrange(Lanes.ROTATE_256_4));
                a1 = a1.add(a1.rearrange(Lanes.ROTATE_256_4));
                a2 = a2.add(a2.rearrange(Lanes.ROTATE_256_4));
                a3 = a3.add(a3.rearrange(Lanes.ROTATE_256_4));
                a0 = a0.add(a0.rearrange(Lanes.ROTATE_256_2));
                a1 = a1.add(a1.rearrange(Lanes.ROTATE_256_2));
                a2 = a2.add(a2.rearrange(Lanes.ROTATE_256_2));
                a3 = a3.add(a3.rearrange(Lanes.ROTATE_256_2));
                dst[dstOff + jj] = a0.add(a0.rearrange(Lanes.ROTATE_256_1)).lane(0);
                dst[dstOff + jj + 1] = a1.add(a1.rearrange(Lanes.ROTATE_256_1)).lane(0);
                dst[dstOff + jj + 2] = a2.add(a2.rearrange(Lanes.ROTATE_256_1)).lane(0);
                dst[dstOff + jj + 3] = a3.add(a3.rearrange(Lanes.ROTATE_256_1)).lane(0);
            } else {
                dst[dstOff + jj] = Lanes.sum(a0);
                dst[dstOff + jj + 1] = Lanes.sum(a1);
                dst[dstOff + jj + 2] = Lanes.sum(a2);
                dst[dstOff + jj + 3] = Lanes.sum(a3);
            }
        }
        for (; jj < n; jj++) {
            FloatVector a0 = FloatVector.zero(SPECIES);
            for (int c = 0; c < dPad; c += L) {
                a0 = FloatVector.fromArray(SPECIES, kb, jj * dPad + c).fma(FloatVector.fromArray(SPECIES, q, qOff + c), a0);
            }
            dst[dstOff + jj] = Lanes.sum(a0);
        }
    }

    /** dst[dstOff ..] = scale * q[i, h, :], zero-padded to dPad. */
    private static void loadRow(Job job, int h, int i, int dPad, float[] dst, int dstOff) {
        long row = 4 * (i * job.qStride + (long) h * job.d);
        for (int c = 0; c < job.d; c++) {
            dst[dstOff + c] = job.scale * job.q.get(F32, row + 4L * c);
        }
        java.util.Arrays.fill(dst, dstOff + job.d, dstOff + dPad, 0f);
    }

    /** Rows j0 .. j0+nk of a [rows, *] matrix, d floats from byte offset base, into dst[dstOff + jj * dPad ..], zero-padded. */
    private static void copyRows(MemorySegment src, long base, long strideBytes, int j0, int nk, int d, int dPad, float[] dst, int dstOff) {
        for (int jj = 0; jj < nk; jj++) {
            int o = dstOff + jj * dPad;
            MemorySegment.copy(src, F32, base + (j0 + jj) * strideBytes, dst, o, d);
            for (int c = d; c < dPad; c++) {
                dst[o + c] = 0f;
            }
        }
    }

    private static float[] iota() {
        float[] a = new float[L];
        for (int i = 0; i < L; i++) {
            a[i] = i;
        }
        return a;
    }
}
