package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The scalar definition {@link Attention} is held to: for every query head and row, the full row
 * of scores, a softmax over the keys the row may see, and the weighted sum of values, all in
 * double. Same arguments and probes as {@link Attention#attend}, single-threaded.
 */
public final class AttentionReference {
    private AttentionReference() {}

    /** See {@link Attention#attend}; runs in the calling thread. */
    public static void attend(
            MemorySegment q, long qStride,
            MemorySegment k, long kStride,
            MemorySegment v, long vStride,
            MemorySegment out, long outStride,
            int sq, int sk, int hq, int hkv, int d,
            float scale, boolean causal, AttentionProbe probe) {
        Attention.validate(q, qStride, k, kStride, v, vStride, out, outStride, sq, sk, hq, hkv, d, causal, probe);
        for (int h = 0; h < hq; h++) {
            for (int i = 0; i < sq; i++) {
                double[] p = probabilities(q, qStride, k, kStride, sq, sk, hq, hkv, d, scale, causal, h, i);
                int g = h / (hq / hkv);
                for (int c = 0; c < d; c++) {
                    double acc = 0;
                    for (int j = 0; j < sk; j++) {
                        if (p[j] != 0) {
                            acc += p[j] * get(v, (long) j * vStride + (long) g * d + c);
                        }
                    }
                    out.set(WeightMatrix.F32_LE, 4 * ((long) i * outStride + (long) h * d + c), (float) acc);
                }
            }
        }
        if (probe == null) {
            return;
        }
        int[] rows = probe.rows();
        for (int r = 0; r < rows.length; r++) {
            double[] mean = new double[sk];
            for (int h = 0; h < hq; h++) {
                double[] p = probabilities(q, qStride, k, kStride, sq, sk, hq, hkv, d, scale, causal, h, rows[r]);
                for (int j = 0; j < sk; j++) {
                    mean[j] += p[j];
                    if (probe.perHead() != null) {
                        probe.perHead()[(r * hq + h) * sk + j] = (float) p[j];
                    }
                }
            }
            for (int j = 0; j < sk; j++) {
                probe.mean()[r * sk + j] = (float) (mean[j] / hq);
            }
        }
    }

    /** Softmax of query row i of head h over all sk keys (0 where masked). */
    static double[] probabilities(MemorySegment q, long qStride, MemorySegment k, long kStride,
            int sq, int sk, int hq, int hkv, int d, float scale, boolean causal, int h, int i) {
        int g = h / (hq / hkv);
        int visible = causal ? i + (sk - sq) + 1 : sk;
        double[] s = new double[sk];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            double dot = 0;
            for (int c = 0; c < d; c++) {
                dot += (double) get(q, (long) i * qStride + (long) h * d + c) * get(k, (long) j * kStride + (long) g * d + c);
            }
            s[j] = scale * dot;
            max = Math.max(max, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < visible; j++) {
            s[j] = Math.exp(s[j] - max);
            sum += s[j];
        }
        for (int j = 0; j < visible; j++) {
            s[j] /= sum;
        }
        return s;
    }

    private static float get(MemorySegment m, long index) {
        return m.get(WeightMatrix.F32_LE, 4 * index);
    }
}
