package dev.sieve.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code C = A · Wᵀ (+ bias)}: activations A {@code [m, k]} (F32) times a weight matrix W
 * {@code [n, k]} in PyTorch's layout (F32, F16, BF16 or Q8_0), into C {@code [m, n]}.
 *
 * <p>Blocking, with the roles of a textbook GEMM swapped so that the weights never need a
 * transposition: the activations are packed once per call into NR-row panels laid out k-major
 * ({@code [panel][k][NR]}, NR = 32 with AVX-512, 16 with AVX2: {@link GemmMicroKernel#NR}), and
 * the weights are widened block by block ({@code NC} rows x {@code KC} columns, row-major) into a
 * per-thread buffer that stays in L2; the register tile ({@link GemmMicroKernel}) broadcasts one weight per row and multiplies it into two vectors
 * of activation rows. Partial sums live in a per-thread {@code [n][m]} block buffer until the
 * last K block, then are written to C with the bias. Threads take tasks of (NC weight rows x up
 * to MC activation rows) from a shared counter, so both dimensions are split. Weight conversion
 * costs one pass over W per call per activation block, amortised over the block's rows.
 */
public final class Gemm {
    static final int KC = KernelSettings.gemmBlock("kc", 256);
    static final int NC = roundUp(KernelSettings.gemmBlock("nc", 192), GemmMicroKernel.MR);
    static final int MC = roundUp(KernelSettings.gemmBlock("mc", 512), GemmMicroKernel.NR);
    /** Below this many activation rows, one matrix-vector product per row beats padding to a panel. */
    static final int GEMV_BELOW_ROWS = 4;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int NR = GemmMicroKernel.NR;
    private static final int PACK_K_BLOCK = 64;
    private static final int MR = GemmMicroKernel.MR;

    private Gemm() {}

    /**
     * @param a activations, element (i, j) at float index {@code i * lda + j}
     * @param m activation rows (tokens)
     * @param k shared dimension; must equal {@code w.cols()}
     * @param w weights {@code [n, k]}
     * @param bias {@code n} floats added to every row, or null
     * @param c output, element (i, j) at float index {@code i * ldc + j}; must not overlap {@code a}
     */
    public static void matmul(MemorySegment a, int m, int k, long lda, WeightMatrix w, float[] bias, MemorySegment c, long ldc,
                              Parallel parallel) {
        int n = w.rows();
        GemmReference.checkArguments(a, m, k, lda, w, bias, c, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (m < GEMV_BELOW_ROWS || k == 0) {
            for (int i = 0; i < m; i++) {
                Gemv.matvec(a.asSlice(i * lda * 4), k, w, bias, c.asSlice(i * ldc * 4), parallel);
            }
            return;
        }
        int panels = (m + NR - 1) / NR;
        float[] packed = Scratch.floats(Scratch.GEMM_PACKED_ACTIVATIONS, panels * NR * k);
        parallel.forEach(panels, p -> packActivations(a, m, k, lda, packed, p));
        // Tasks tile both dimensions: NC weight rows x one block of activation panels. The
        // activation blocks are balanced (e.g. 640 rows -> 2 x 320, not 512 + 128) so that small-N
        // shapes such as CLIP's still give every core work.
        int mBlocks = (panels * NR + MC - 1) / MC;
        int panelsPerBlock = (panels + mBlocks - 1) / mBlocks;
        int nTasks = (n + NC - 1) / NC;
        parallel.forEach(nTasks * mBlocks, t -> {
            int n0 = (t / mBlocks) * NC;
            int p0 = (t % mBlocks) * panelsPerBlock;
            int p1 = Math.min(panels, p0 + panelsPerBlock);
            if (p0 < p1) {
                computeBlock(packed, p0, p1, m, k, w, n0, Math.min(NC, n - n0), bias, c, ldc);
            }
        });
    }

    /** Panel p of the packed activations: packed[(p*k + kk)*NR + j] = A[p*NR + j, kk], zero past the last row. */
    static void packActivations(MemorySegment a, int m, int k, long lda, float[] packed, int p) {
        int base = p * k * NR;
        int rows = Math.min(NR, m - p * NR);
        // Transpose in k-blocks so the NR-wide destination block stays in L1 while rows stream in.
        for (int k0 = 0; k0 < k; k0 += PACK_K_BLOCK) {
            int k1 = Math.min(k, k0 + PACK_K_BLOCK);
            for (int j = 0; j < rows; j++) {
                long src = ((p * NR + j) * lda) * 4;
                for (int kk = k0; kk < k1; kk++) {
                    packed[base + kk * NR + j] = a.get(F32, src + kk * 4L);
                }
            }
            for (int j = rows; j < NR; j++) {
                for (int kk = k0; kk < k1; kk++) {
                    packed[base + kk * NR + j] = 0f;
                }
            }
        }
    }

    /** Activation panels [p0, p1) against weight rows [n0, n0 + nc). */
    private static void computeBlock(float[] packed, int p0, int p1, int m, int k, WeightMatrix w, int n0, int nc,
                                     float[] bias, MemorySegment c, long ldc) {
        int ncPadded = roundUp(nc, MR);
        int mc0 = p0 * NR;
        int mcLen = (p1 - p0) * NR;
        float[] block = Scratch.floats(Scratch.GEMM_OUTPUT_BLOCK, ncPadded * mcLen);
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            float[] wc = Scratch.floats(Scratch.GEMM_WEIGHT_BLOCK, ncPadded * kc);
            for (int r = 0; r < nc; r++) {
                WeightRows.widen(w, n0 + r, pc, kc, wc, r * kc);
            }
            java.util.Arrays.fill(wc, nc * kc, ncPadded * kc, 0f);
            boolean first = pc == 0;
            for (int j = 0; j < mcLen; j += NR) {
                int apOff = ((mc0 + j) / NR * k + pc) * NR;
                for (int r = 0; r < ncPadded; r += MR) {
                    GemmMicroKernel.run(wc, r * kc, kc, packed, apOff, block, r * mcLen + j, mcLen, first);
                }
            }
        }
        int rows = Math.min(mcLen, m - mc0);
        for (int j = 0; j < rows; j++) {
            long dst = ((mc0 + j) * ldc + n0) * 4;
            for (int r = 0; r < nc; r++) {
                float v = block[r * mcLen + j];
                c.set(F32, dst + r * 4L, bias == null ? v : v + bias[n0 + r]);
            }
        }
    }

    static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }
}
