package dev.sieve.jmh;

import dev.sieve.kernels.Gemv;
import dev.sieve.kernels.Parallel;
import dev.sieve.kernels.WeightMatrix;
import dev.sieve.kernels.WeightType;
import dev.sieve.kernels.peer.OpenBlas;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * y = W·x (decode) with weights cold in DRAM: each call uses the next of enough copies to fill
 * ~1.2 GiB, more than the caches hold. Bandwidth = weight bytes / time. OpenBLAS cblas_sgemv on
 * F32 copies is the peer (skipped when absent).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class GemvBenchmark {
    @Param({"4096x4096", "11008x4096"})
    public String shape;

    @Param({"F32", "F16", "BF16", "Q8_0"})
    public WeightType type;

    private Arena arena;
    private Parallel parallel;
    private WeightMatrix[] copies;
    private MemorySegment[] f32Copies;
    private MemorySegment x;
    private MemorySegment y;
    private OpenBlas blas;
    private int n;
    private int k;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        String[] d = shape.split("x");
        n = Integer.parseInt(d[0]);
        k = Integer.parseInt(d[1]);
        arena = Arena.ofShared();
        parallel = Parallel.allCores();
        SplittableRandom r = new SplittableRandom(3);
        x = arena.allocate((long) k * 4, 64);
        for (int i = 0; i < k; i++) {
            x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble());
        }
        y = arena.allocate((long) n * 4, 64);
        long f32Bytes = (long) n * k * 4;
        int count = (int) Math.max(2, (1200L << 20) / f32Bytes);
        f32Copies = new MemorySegment[count];
        copies = new WeightMatrix[count];
        for (int c = 0; c < count; c++) {
            MemorySegment f = arena.allocate(f32Bytes, 64);
            for (long i = 0; i < (long) n * k; i++) {
                f.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
            }
            f32Copies[c] = f;
            copies[c] = convert(f);
        }
        blas = OpenBlas.load().orElse(null);
        if (blas != null) {
            blas.setThreads(parallel.threads());
        }
    }

    private WeightMatrix convert(MemorySegment f) {
        WeightMatrix dense = WeightMatrix.dense(WeightType.F32, n, k, f);
        return type == WeightType.F32 ? dense : dense.convertTo(type, arena);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        parallel.close();
        arena.close();
    }

    @Benchmark
    public MemorySegment sieve() {
        Gemv.matvec(x, k, copies[next++ % copies.length], null, y, parallel);
        return y;
    }

    @Benchmark
    public MemorySegment openblasF32() {
        if (blas != null) {
            blas.sgemv(f32Copies[next++ % f32Copies.length], n, k, x, y);
        }
        return y;
    }
}
