package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A ViT patch embedding (Conv2d with kernel = stride = patch, no padding) as unfold + GEMM: each
 * patch becomes one row of {@code channels * patch * patch} values in the order of the conv
 * weight's flattening ({@code [out, channels, patch, patch]} read as {@code [out, c*p*p]}), and
 * the GEMM against that weight gives one embedding per patch. Patches come out row-major (row by
 * row of the patch grid, left to right), as CLIP flattens them.
 */
public final class PatchEmbedding {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private PatchEmbedding() {}

    /** Number of patches of an {@code height x width} image. */
    public static int patchCount(int height, int width, int patch) {
        return (height / patch) * (width / patch);
    }

    /**
     * Unfolds {@code pixels} ({@code [channels, height, width]}, CHW floats) into
     * {@code out[patchCount, channels*patch*patch]}; trailing pixels that do not fill a patch are
     * ignored, as Conv2d does.
     */
    public static void unfold(MemorySegment pixels, int channels, int height, int width, int patch, MemorySegment out) {
        int gridH = height / patch;
        int gridW = width / patch;
        int rowLength = channels * patch * patch;
        if (out.byteSize() < (long) gridH * gridW * rowLength * 4 || pixels.byteSize() < (long) channels * height * width * 4) {
            throw new IllegalArgumentException("unfold: segments too small for " + channels + "x" + height + "x" + width + " with patch " + patch);
        }
        for (int py = 0; py < gridH; py++) {
            for (int px = 0; px < gridW; px++) {
                long dst = ((long) (py * gridW + px) * rowLength) * 4;
                for (int c = 0; c < channels; c++) {
                    for (int y = 0; y < patch; y++) {
                        long src = (((long) c * height + py * patch + y) * width + px * patch) * 4;
                        // One patch line is contiguous in both layouts.
                        MemorySegment.copy(pixels, src, out, dst, patch * 4L);
                        dst += patch * 4L;
                    }
                }
            }
        }
    }

    /** Scalar twin: the convolution written out directly, for tests. */
    public static void convolveReference(MemorySegment pixels, int channels, int height, int width, int patch, WeightMatrix weight,
                                         MemorySegment out) {
        int gridW = width / patch;
        int patches = patchCount(height, width, patch);
        for (int p = 0; p < patches; p++) {
            int py = p / gridW;
            int px = p % gridW;
            for (int o = 0; o < weight.rows(); o++) {
                double sum = 0;
                for (int c = 0; c < channels; c++) {
                    for (int y = 0; y < patch; y++) {
                        for (int x = 0; x < patch; x++) {
                            float pixel = pixels.get(F32, (((long) c * height + py * patch + y) * width + px * patch + x) * 4);
                            sum += (double) pixel * weight.get(o, (c * patch + y) * patch + x);
                        }
                    }
                }
                out.set(F32, ((long) p * weight.rows() + o) * 4, (float) sum);
            }
        }
    }
}
