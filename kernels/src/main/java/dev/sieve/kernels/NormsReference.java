package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.F32;

import java.lang.foreign.MemorySegment;

/** Scalar twins of {@link Norms}: statistics accumulated in double, one row at a time. */
public final class NormsReference {
    private NormsReference() {
    }

    public static void layerNorm(MemorySegment in, int rows, int dim, long inStride, float[] weight, float[] bias,
            float eps, MemorySegment out, long outStride) {
        for (int r = 0; r < rows; r++) {
            long ib = (long) r * inStride * Float.BYTES;
            long ob = (long) r * outStride * Float.BYTES;
            double sum = 0;
            for (int i = 0; i < dim; i++) {
                sum += in.get(F32, ib + (long) i * Float.BYTES);
            }
            double mean = sum / dim;
            double sq = 0;
            for (int i = 0; i < dim; i++) {
                double d = in.get(F32, ib + (long) i * Float.BYTES) - mean;
                sq += d * d;
            }
            double rstd = 1.0 / Math.sqrt(sq / dim + eps);
            for (int i = 0; i < dim; i++) {
                double x = in.get(F32, ib + (long) i * Float.BYTES);
                out.set(F32, ob + (long) i * Float.BYTES, (float) ((x - mean) * rstd * weight[i] + bias[i]));
            }
        }
    }

    public static void rmsNorm(MemorySegment in, int rows, int dim, long inStride, float[] weight, float eps,
            MemorySegment out, long outStride) {
        for (int r = 0; r < rows; r++) {
            long ib = (long) r * inStride * Float.BYTES;
            long ob = (long) r * outStride * Float.BYTES;
            double sq = 0;
            for (int i = 0; i < dim; i++) {
                double x = in.get(F32, ib + (long) i * Float.BYTES);
                sq += x * x;
            }
            float rs = (float) (1.0 / Math.sqrt(sq / dim + eps));
            for (int i = 0; i < dim; i++) {
                float x = in.get(F32, ib + (long) i * Float.BYTES);
                out.set(F32, ob + (long) i * Float.BYTES, weight[i] * (x * rs));
            }
        }
    }
}
