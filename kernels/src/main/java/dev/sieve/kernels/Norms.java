package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.F32;
import static dev.sieve.kernels.Elementwise.LE;
import static dev.sieve.kernels.Elementwise.SPECIES;
import static dev.sieve.kernels.Elementwise.checkParams;
import static dev.sieve.kernels.Elementwise.checkRows;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Row-wise normalisations over {@code [rows, dim]} (rows {@code inStride} / {@code outStride}
 * floats apart), SIMD, accumulating in float32. {@code out} may be the same memory as {@code in}
 * with the same stride (in-place use). Scalar twins: {@link NormsReference}.
 */
public final class Norms {
    private Norms() {
    }

    /**
     * PyTorch {@code LayerNorm}: {@code y = (x - mean) / sqrt(var + eps) * weight + bias} with the
     * biased variance (two passes: mean, then the mean of squared deviations).
     */
    public static void layerNorm(MemorySegment in, int rows, int dim, long inStride, float[] weight, float[] bias,
            float eps, MemorySegment out, long outStride) {
        checkLayerNorm(in, rows, dim, inStride, weight, bias, out, outStride);
        for (int r = 0; r < rows; r++) {
            layerNormRow(in, (long) r * inStride * Float.BYTES, dim, weight, bias, eps, out, (long) r * outStride * Float.BYTES);
        }
    }

    /** {@link #layerNorm(MemorySegment, int, int, long, float[], float[], float, MemorySegment, long)} with rows spread over {@code parallel}. */
    public static void layerNorm(Parallel parallel, MemorySegment in, int rows, int dim, long inStride, float[] weight,
            float[] bias, float eps, MemorySegment out, long outStride) {
        checkLayerNorm(in, rows, dim, inStride, weight, bias, out, outStride);
        int chunk = Elementwise.rowChunk(rows, dim, parallel);
        parallel.forEach((rows + chunk - 1) / chunk, t -> {
            int end = Math.min(rows, (t + 1) * chunk);
            for (int r = t * chunk; r < end; r++) {
                layerNormRow(in, (long) r * inStride * Float.BYTES, dim, weight, bias, eps, out, (long) r * outStride * Float.BYTES);
            }
        });
    }

    /**
     * Hugging Face {@code LlamaRMSNorm} in float32: {@code y = weight * (x * rsqrt(mean(x^2) + eps))}
     * (x times the reciprocal root is rounded before the weight multiplies it, as in HF).
     */
    public static void rmsNorm(MemorySegment in, int rows, int dim, long inStride, float[] weight, float eps,
            MemorySegment out, long outStride) {
        checkRmsNorm(in, rows, dim, inStride, weight, out, outStride);
        for (int r = 0; r < rows; r++) {
            rmsNormRow(in, (long) r * inStride * Float.BYTES, dim, weight, eps, out, (long) r * outStride * Float.BYTES);
        }
    }

    /** {@link #rmsNorm(MemorySegment, int, int, long, float[], float, MemorySegment, long)} with rows spread over {@code parallel}. */
    public static void rmsNorm(Parallel parallel, MemorySegment in, int rows, int dim, long inStride, float[] weight,
            float eps, MemorySegment out, long outStride) {
        checkRmsNorm(in, rows, dim, inStride, weight, out, outStride);
        int chunk = Elementwise.rowChunk(rows, dim, parallel);
        parallel.forEach((rows + chunk - 1) / chunk, t -> {
            int end = Math.min(rows, (t + 1) * chunk);
            for (int r = t * chunk; r < end; r++) {
                rmsNormRow(in, (long) r * inStride * Float.BYTES, dim, weight, eps, out, (long) r * outStride * Float.BYTES);
            }
        });
    }

    private static void checkLayerNorm(MemorySegment in, int rows, int dim, long inStride, float[] weight, float[] bias,
            MemorySegment out, long outStride) {
        checkRows(in, rows, dim, inStride, "in");
        checkRows(out, rows, dim, outStride, "out");
        checkParams(weight, dim, "weight");
        checkParams(bias, dim, "bias");
        if (dim == 0) {
            throw new IllegalArgumentException("dim must be positive");
        }
    }

    private static void checkRmsNorm(MemorySegment in, int rows, int dim, long inStride, float[] weight,
            MemorySegment out, long outStride) {
        checkRows(in, rows, dim, inStride, "in");
        checkRows(out, rows, dim, outStride, "out");
        checkParams(weight, dim, "weight");
        if (dim == 0) {
            throw new IllegalArgumentException("dim must be positive");
        }
    }

    private static void layerNormRow(MemorySegment in, long inBase, int dim, float[] weight, float[] bias, float eps,
            MemorySegment out, long outBase) {
        final int lanes = SPECIES.length();
        final int bound = SPECIES.loopBound(dim);
        final int bound4 = dim - dim % (4 * lanes);
        // pass 1: mean
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        FloatVector s2 = FloatVector.zero(SPECIES);
        FloatVector s3 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i < bound4; i += 4 * lanes) {
            long off = inBase + (long) i * Float.BYTES;
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, in, off, LE));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, in, off + lanes * Float.BYTES, LE));
            s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, in, off + 2L * lanes * Float.BYTES, LE));
            s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, in, off + 3L * lanes * Float.BYTES, LE));
        }
        for (; i < bound; i += lanes) {
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, in, inBase + (long) i * Float.BYTES, LE));
        }
        if (i < dim) {
            VectorMask<Float> m = SPECIES.indexInRange(i, dim);
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, in, inBase + (long) i * Float.BYTES, LE, m));
        }
        float mean = Lanes.sum(s0.add(s1).add(s2.add(s3))) / dim;
        // pass 2: biased variance, and the mean's own rounding error. The float sum of pass 1 can be
        // several ulps off (more so with fewer, longer partial sums, as with 8-lane vectors), and for
        // a row with a large offset and a small spread that error, divided by the spread, dominates
        // the output (an AVX2 run of NormsTest failed by it). So the centred values are summed too and
        // their mean added back: the corrected two-pass algorithm (Chan, Golub and LeVeque, 1983).
        final FloatVector meanV = FloatVector.broadcast(SPECIES, mean);
        s0 = FloatVector.zero(SPECIES);
        s1 = FloatVector.zero(SPECIES);
        s2 = FloatVector.zero(SPECIES);
        s3 = FloatVector.zero(SPECIES);
        FloatVector c0 = FloatVector.zero(SPECIES);
        FloatVector c1 = FloatVector.zero(SPECIES);
        i = 0;
        for (; i < bound4; i += 4 * lanes) {
            long off = inBase + (long) i * Float.BYTES;
            FloatVector d0 = FloatVector.fromMemorySegment(SPECIES, in, off, LE).sub(meanV);
            FloatVector d1 = FloatVector.fromMemorySegment(SPECIES, in, off + lanes * Float.BYTES, LE).sub(meanV);
            FloatVector d2 = FloatVector.fromMemorySegment(SPECIES, in, off + 2L * lanes * Float.BYTES, LE).sub(meanV);
            FloatVector d3 = FloatVector.fromMemorySegment(SPECIES, in, off + 3L * lanes * Float.BYTES, LE).sub(meanV);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
            s2 = d2.fma(d2, s2);
            s3 = d3.fma(d3, s3);
            c0 = c0.add(d0.add(d1));
            c1 = c1.add(d2.add(d3));
        }
        for (; i < bound; i += lanes) {
            FloatVector d = FloatVector.fromMemorySegment(SPECIES, in, inBase + (long) i * Float.BYTES, LE).sub(meanV);
            s0 = d.fma(d, s0);
            c0 = c0.add(d);
        }
        if (i < dim) {
            VectorMask<Float> m = SPECIES.indexInRange(i, dim);
            FloatVector d = FloatVector.fromMemorySegment(SPECIES, in, inBase + (long) i * Float.BYTES, LE, m)
                    .sub(meanV);
            s1 = s1.add(d.mul(d), m);
            c1 = c1.add(d, m);
        }
        float shift = Lanes.sum(c0.add(c1)) / dim;
        float var = Math.max(0f, Lanes.sum(s0.add(s1).add(s2.add(s3))) / dim - shift * shift);
        mean += shift;
        float rstd = (float) (1.0 / Math.sqrt(var + eps));
        final FloatVector centre = FloatVector.broadcast(SPECIES, mean);
        // pass 3: normalise, scale, shift
        final FloatVector rstdV = FloatVector.broadcast(SPECIES, rstd);
        i = 0;
        for (; i < bound; i += lanes) {
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, inBase + (long) i * Float.BYTES, LE);
            FloatVector w = FloatVector.fromArray(SPECIES, weight, i);
            FloatVector b = FloatVector.fromArray(SPECIES, bias, i);
            x.sub(centre).mul(rstdV).fma(w, b).intoMemorySegment(out, outBase + (long) i * Float.BYTES, LE);
        }
        for (; i < dim; i++) {
            float x = in.get(F32, inBase + (long) i * Float.BYTES);
            out.set(F32, outBase + (long) i * Float.BYTES, Math.fma((x - mean) * rstd, weight[i], bias[i]));
        }
    }

    private static void rmsNormRow(MemorySegment in, long inBase, int dim, float[] weight, float eps,
            MemorySegment out, long outBase) {
        final int lanes = SPECIES.length();
        final int bound = SPECIES.loopBound(dim);
        final int bound4 = dim - dim % (4 * lanes);
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        FloatVector s2 = FloatVector.zero(SPECIES);
        FloatVector s3 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i < bound4; i += 4 * lanes) {
            long off = inBase + (long) i * Float.BYTES;
            FloatVector x0 = FloatVector.fromMemorySegment(SPECIES, in, off, LE);
            FloatVector x1 = FloatVector.fromMemorySegment(SPECIES, in, off + lanes * Float.BYTES, LE);
            FloatVector x2 = FloatVector.fromMemorySegment(SPECIES, in, off + 2L * lanes * Float.BYTES, LE);
            FloatVector x3 = FloatVector.fromMemorySegment(SPECIES, in, off + 3L * lanes * Float.BYTES, LE);
            s0 = x0.fma(x0, s0);
            s1 = x1.fma(x1, s1);
            s2 = x2.fma(x2, s2);
            s3 = x3.fma(x3, s3);
        }
        for (; i < bound; i += lanes) {
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, inBase + (long) i * Float.BYTES, LE);
            s0 = x.fma(x, s0);
        }
        if (i < dim) {
            VectorMask<Float> m = SPECIES.indexInRange(i, dim);
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, inBase + (long) i * Float.BYTES, LE, m);
            s1 = x.fma(x, s1);
        }
        float meanSquare = Lanes.sum(s0.add(s1).add(s2.add(s3))) / dim;
        float r = (float) (1.0 / Math.sqrt(meanSquare + eps));
        final FloatVector rV = FloatVector.broadcast(SPECIES, r);
        i = 0;
        for (; i < bound; i += lanes) {
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, inBase + (long) i * Float.BYTES, LE);
            FloatVector w = FloatVector.fromArray(SPECIES, weight, i);
            x.mul(rV).mul(w).intoMemorySegment(out, outBase + (long) i * Float.BYTES, LE);
        }
        for (; i < dim; i++) {
            float x = in.get(F32, inBase + (long) i * Float.BYTES);
            out.set(F32, outBase + (long) i * Float.BYTES, weight[i] * (x * r));
        }
    }
}
