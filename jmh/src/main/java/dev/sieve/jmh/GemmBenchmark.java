package dev.sieve.jmh;

import dev.sieve.kernels.Gemm;
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
 * C = A·Wᵀ on the LLaVA shapes, Sieve against OpenBLAS cblas_sgemm (skipped when absent). GFLOP/s =
 * 2·M·N·K / time. Set OPENBLAS_CORETYPE=SkylakeX on AVX-512 machines where OpenBLAS 0.3.21 falls back
 * to its SSE3 kernels. Example:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar GemmBenchmark -p shape=640x4096x4096}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class GemmBenchmark {
    /** MxNxK. */
    @Param({"640x4096x4096", "640x11008x4096", "640x4096x11008", "577x1024x1024", "577x4096x1024", "1024x1024x1024"})
    public String shape;

    @Param({"F32", "BF16"})
    public WeightType type;

    @Param({"2"})
    public int threads;

    private Arena arena;
    private Parallel parallel;
    private MemorySegment a;
    private MemorySegment wF32;
    private WeightMatrix w;
    private MemorySegment c;
    private OpenBlas blas;
    private int m;
    private int n;
    private int k;

    @Setup(Level.Trial)
    public void setUp() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        arena = Arena.ofShared();
        parallel = Parallel.create(threads);
        SplittableRandom r = new SplittableRandom(1);
        a = fill(arena.allocate((long) m * k * 4, 64), r);
        wF32 = fill(arena.allocate((long) n * k * 4, 64), r);
        c = arena.allocate((long) m * n * 4, 64);
        WeightMatrix dense = WeightMatrix.dense(WeightType.F32, n, k, wF32);
        w = type == WeightType.F32 ? dense : dense.convertTo(type, arena);
        blas = OpenBlas.load().orElse(null);
        if (blas != null) {
            blas.setThreads(threads);
        }
    }

    private static MemorySegment fill(MemorySegment s, SplittableRandom r) {
        for (long i = 0; i < s.byteSize() / 4; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
        }
        return s;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        parallel.close();
        arena.close();
    }

    @Benchmark
    public MemorySegment sieve() {
        Gemm.matmul(a, m, k, k, w, null, c, n, parallel);
        return c;
    }

    @Benchmark
    public MemorySegment openblasF32() {
        if (blas != null) {
            blas.sgemmTransposedB(a, m, k, wF32, n, c);
        }
        return c;
    }
}
