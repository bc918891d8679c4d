package dev.sieve.kernels;

import static dev.sieve.kernels.Elementwise.F32;

import java.lang.foreign.MemorySegment;

/**
 * Scalar twin of {@link Rope}, straight from the Hugging Face definition with torch's float32
 * roundings: {@code emb = cat(freqs, freqs)}, {@code out = x * cos(emb) + rotate_half(x) * sin(emb)}.
 */
public final class RopeReference {
    private RopeReference() {
    }

    /** Same as {@link Rope#inverseFrequencies}, written out independently. */
    public static float[] inverseFrequencies(int headDim, double theta) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < headDim / 2; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = 1f / (float) StrictMath.pow((float) theta, exponent);
        }
        return inv;
    }

    /** Rotates row r of x (viewed as [rows, heads, headDim]) to {@code positions[r]}, in place. */
    public static void apply(MemorySegment x, int rows, int heads, int headDim, long rowStride, int[] positions,
            double theta) {
        float[] inv = inverseFrequencies(headDim, theta);
        int half = headDim / 2;
        float[] cos = new float[headDim];
        float[] sin = new float[headDim];
        float[] v = new float[headDim];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < headDim; j++) {
                float freq = (float) positions[r] * inv[j % half]; // emb = cat(freqs, freqs)
                cos[j] = (float) StrictMath.cos(freq);
                sin[j] = (float) StrictMath.sin(freq);
            }
            for (int h = 0; h < heads; h++) {
                long base = ((long) r * rowStride + (long) h * headDim) * Float.BYTES;
                for (int j = 0; j < headDim; j++) {
                    v[j] = x.get(F32, base + (long) j * Float.BYTES);
                }
                for (int j = 0; j < headDim; j++) {
                    float rotated = j < half ? -v[j + half] : v[j - half];
                    float a = v[j] * cos[j];
                    float b = rotated * sin[j];
                    x.set(F32, base + (long) j * Float.BYTES, a + b);
                }
            }
        }
    }
}
