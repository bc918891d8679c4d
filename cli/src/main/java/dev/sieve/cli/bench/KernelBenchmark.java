package dev.sieve.cli.bench;

import dev.sieve.kernels.Attention;
import dev.sieve.kernels.AttentionProbe;
import dev.sieve.kernels.Gemm;
import dev.sieve.kernels.Gemv;
import dev.sieve.kernels.Parallel;
import dev.sieve.kernels.WeightMatrix;
import dev.sieve.kernels.WeightType;
import dev.sieve.kernels.peer.OpenBlas;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * {@code sieve bench kernels}: Sieve's kernels beside a peer measured in the same process, one
 * line per case with the ratio. GEMM is compared with OpenBLAS {@code cblas_sgemm} (F32
 * weights; F16/BF16/Q8_0 weights are compared with the same OpenBLAS F32 run, since that is the
 * alternative a user has); GEMV with the machine's bandwidth from a STREAM-style triad and with
 * OpenBLAS {@code cblas_sgemv}, on weights rotated through more memory than the caches hold.
 * Runs are interleaved (Sieve, peer, Sieve, peer, ...) so drift hits both alike.
 */
public final class KernelBenchmark {
    /** The LLaVA-1.5-7B prefill projections (640 tokens), CLIP-L (577 tokens) and 1024³. */
    public static final int[][] GEMM_SHAPES = {
        {640, 4096, 4096}, {640, 11008, 4096}, {640, 4096, 11008}, {577, 1024, 1024}, {577, 4096, 1024}, {1024, 1024, 1024},
    };
    public static final int[][] GEMV_SHAPES = {{4096, 4096}, {11008, 4096}};
    /** GEMV calls per timed run, on consecutive copies (see {@link #gemv}). */
    static final int GEMV_BATCH = 8;

    private final PrintWriter out;
    private final Optional<OpenBlas> blas;
    private final int reps;
    private final double warmupSeconds;
    private final SplittableRandom random = new SplittableRandom(42);

    public KernelBenchmark(PrintWriter out, int reps, double warmupSeconds) {
        this.out = out;
        this.blas = OpenBlas.load();
        this.reps = reps;
        this.warmupSeconds = warmupSeconds;
    }

    public String peerDescription() {
        return blas.map(OpenBlas::describe).orElse("OpenBLAS not found (install libopenblas-dev to compare); Sieve numbers only");
    }

    /** C = A·Wᵀ for one shape, weight type and thread count. */
    public void gemm(int m, int n, int k, WeightType type, int threads) {
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.create(threads)) {
            MemorySegment a = randomFloats(arena, (long) m * k);
            MemorySegment wF32 = randomFloats(arena, (long) n * k);
            WeightMatrix w = weights(arena, wF32, n, k, type);
            MemorySegment c = arena.allocate((long) m * n * 4, 64);
            double flops = 2.0 * m * n * k;
            Runnable sieve = () -> Gemm.matmul(a, m, k, k, w, null, c, n, parallel);
            Runnable peer = blas.<Runnable>map(b -> () -> b.sgemmTransposedB(a, m, k, wF32, n, c)).orElse(null);
            blas.ifPresent(b -> b.setThreads(threads));
            Timing[] t = interleave(sieve, peer);
            line(String.format("gemm  %-5s M=%-5d N=%-6d K=%-6d threads=%d", type, m, n, k, threads),
                    "GFLOP/s", flops / t[0].best() / 1e9, flops / t[0].median() / 1e9,
                    peer == null ? null : new double[] {flops / t[1].best() / 1e9, flops / t[1].median() / 1e9}, "openblas-f32");
        }
    }

    /** STREAM-style triad a = b + s*c over arrays far larger than the caches: the machine's memory bandwidth in GB/s. */
    public double triad(int threads) {
        long n = 64L << 20; // 64 Mi floats = 256 MiB per array
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.create(threads)) {
            MemorySegment a = arena.allocate(n * 4, 64);
            MemorySegment b = randomFloats(arena, n);
            MemorySegment c = randomFloats(arena, n);
            int chunks = 64;
            long per = n / chunks;
            Runnable triad = () -> parallel.forEach(chunks, i -> Streams.triad(a, b, c, 3f, i * per, per));
            Timing.warmUp(triad, Math.min(1, warmupSeconds), 3);
            double[] s = new double[reps];
            for (int r = 0; r < reps; r++) {
                s[r] = Timing.seconds(triad);
            }
            Timing t = Timing.of(s);
            double bytes = 3.0 * n * 4;
            out.printf("triad %-36s %6.1f GB/s best, %6.1f median (3 x 256 MiB arrays)%n", "threads=" + threads,
                    bytes / t.best() / 1e9, bytes / t.median() / 1e9);
            out.flush();
            return bytes / t.best() / 1e9;
        }
    }

    /** y = W·x with weights cold in DRAM: copies rotated through ~1.2 GiB, {@value #GEMV_BATCH} calls per timed run. */
    public void gemv(int n, int k, WeightType type, int threads, double triadGbs) {
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.create(threads)) {
            MemorySegment x = randomFloats(arena, k);
            MemorySegment y = arena.allocate((long) n * 4, 64);
            List<WeightMatrix> copies = new ArrayList<>();
            List<MemorySegment> f32Copies = new ArrayList<>();
            long budget = 1200L << 20;
            MemorySegment prototype = randomFloats(arena, (long) n * k);
            WeightMatrix first = weights(arena, prototype, n, k, type);
            long bytesPerMatrix = weightBytes(first);
            for (long used = 0; used < budget; used += bytesPerMatrix) {
                copies.add(copies.isEmpty() ? first : copy(arena, first));
            }
            for (long used = 0; used < budget && blas.isPresent(); used += (long) n * k * 4) {
                MemorySegment copy = arena.allocate((long) n * k * 4, 64);
                copy.copyFrom(prototype);
                f32Copies.add(copy);
            }
            int[] next = {0, 0};
            // A timed run is GEMV_BATCH calls back to back, as decode makes them: one call alone
            // after the peer's would also time the wake-up of kernel threads parked meanwhile.
            Runnable sieve = () -> {
                for (int b = 0; b < GEMV_BATCH; b++) {
                    Gemv.matvec(x, k, copies.get(next[0]++ % copies.size()), null, y, parallel);
                }
            };
            Runnable peer = blas.<Runnable>map(blasPeer -> () -> {
                for (int b = 0; b < GEMV_BATCH; b++) {
                    blasPeer.sgemv(f32Copies.get(next[1]++ % f32Copies.size()), n, k, x, y);
                }
            }).orElse(null);
            blas.ifPresent(b -> b.setThreads(threads));
            Timing[] t = interleave(sieve, peer);
            double gbs = GEMV_BATCH * bytesPerMatrix / t[0].best() / 1e9;
            double gbsMedian = GEMV_BATCH * bytesPerMatrix / t[0].median() / 1e9;
            String label = String.format("gemv  %-5s N=%-6d K=%-6d threads=%d", type, n, k, threads);
            if (peer != null) {
                double peerGbs = GEMV_BATCH * (double) n * k * 4 / t[1].best() / 1e9;
                out.printf("%-52s %6.1f GB/s (%.0f%% of triad)  openblas-sgemv-f32 %6.1f GB/s  %.2fx%n",
                        label, gbs, 100 * gbs / triadGbs, peerGbs, gbs / peerGbs);
            } else {
                out.printf("%-52s %6.1f GB/s best, %6.1f median (%.0f%% of triad)%n", label, gbs, gbsMedian, 100 * gbs / triadGbs);
            }
            out.flush();
        }
    }

    /**
     * Causal prefill attention (S queries = S keys, heads x headDim), without and with the exact
     * probabilities of the last query row: the probe's overhead is the ratio of the two.
     */
    public void attention(int s, int heads, int headDim, int threads) {
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.create(threads)) {
            int width = heads * headDim;
            MemorySegment q = randomFloats(arena, (long) s * width);
            MemorySegment k = randomFloats(arena, (long) s * width);
            MemorySegment v = randomFloats(arena, (long) s * width);
            MemorySegment o = arena.allocate((long) s * width * 4, 64);
            float scale = (float) (1 / Math.sqrt(headDim));
            AttentionProbe probe = AttentionProbe.of(new int[] {s - 1}, s);
            Runnable plain = () -> Attention.attend(q, width, k, width, v, width, o, width, s, s, heads, heads, headDim, scale, true, parallel);
            Runnable probed = () -> Attention.attend(q, width, k, width, v, width, o, width, s, s, heads, heads, headDim, scale, true,
                    probe, parallel);
            Timing[] t = interleave(plain, probed);
            double flops = 4.0 * s * s * headDim * heads / 2; // QK^T and PV over the causal half
            out.printf("attn  causal S=%d heads=%d d=%d threads=%d        %7.1f GFLOP/s (median %7.1f)  with last-row probe %7.1f"
                            + " (median %7.1f)  probe overhead %+.1f%% (best) %+.1f%% (median)%n",
                    s, heads, headDim, threads, flops / t[0].best() / 1e9, flops / t[0].median() / 1e9,
                    flops / t[1].best() / 1e9, flops / t[1].median() / 1e9, 100 * (t[1].best() / t[0].best() - 1),
                    100 * (t[1].median() / t[0].median() - 1));
            out.flush();
        }
    }

    private Timing[] interleave(Runnable sieve, Runnable peer) {
        Timing.warmUp(sieve, warmupSeconds, 3);
        if (peer != null) {
            Timing.warmUp(peer, Math.min(1, warmupSeconds), 2);
        }
        double[] s = new double[reps];
        double[] p = new double[reps];
        for (int r = 0; r < reps; r++) {
            s[r] = Timing.seconds(sieve);
            if (peer != null) {
                p[r] = Timing.seconds(peer);
            }
        }
        return new Timing[] {Timing.of(s), peer == null ? null : Timing.of(p)};
    }

    private void line(String label, String unit, double best, double median, double[] peer, String peerName) {
        if (peer == null) {
            out.printf("%-52s %7.1f %s best, %7.1f median%n", label, best, unit, median);
        } else {
            out.printf("%-52s sieve %7.1f %s (median %7.1f)  %s %7.1f (median %7.1f)  %.2fx%n",
                    label, best, unit, median, peerName, peer[0], peer[1], best / peer[0]);
        }
        out.flush();
    }

    private MemorySegment randomFloats(Arena arena, long count) {
        MemorySegment s = arena.allocate(count * 4, 64);
        for (long i = 0; i < count; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 2 - 1));
        }
        return s;
    }

    private static WeightMatrix weights(Arena arena, MemorySegment f32, int n, int k, WeightType type) {
        WeightMatrix dense = WeightMatrix.dense(WeightType.F32, n, k, f32);
        return type == WeightType.F32 ? dense : dense.convertTo(type, arena);
    }

    private static long weightBytes(WeightMatrix w) {
        return w.data().byteSize() + (w.scales() == null ? 0 : w.scales().byteSize());
    }

    private static WeightMatrix copy(Arena arena, WeightMatrix w) {
        MemorySegment data = arena.allocate(w.data().byteSize(), 64).copyFrom(w.data());
        MemorySegment scales = w.scales() == null ? null : arena.allocate(w.scales().byteSize(), 64).copyFrom(w.scales());
        return new WeightMatrix(w.type(), w.rows(), w.cols(), w.rowStride(), data, scales);
    }
}
