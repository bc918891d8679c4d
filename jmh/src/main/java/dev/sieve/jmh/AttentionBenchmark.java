package dev.sieve.jmh;

import dev.sieve.kernels.Attention;
import dev.sieve.kernels.AttentionProbe;
import dev.sieve.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
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
 * Causal prefill attention of one LLaVA-7B layer: S = 640 tokens (576 image tokens and a prompt),
 * 32 heads of 128, Parallel over all cores; without probes and with the probe pruning methods
 * use (the last query row, head-averaged). Work: 4 * S * S * d * H / 2 flops (QK^T and PV, half
 * of the square under the causal mask) = 3.36 GFLOP per call; GFLOP/s = 3355.4 / (ms/op).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AttentionBenchmark {
    @Param({"640"})
    public int seq;

    @Param({"32"})
    public int heads;

    @Param({"128"})
    public int headDim;

    private Arena arena;
    private Parallel parallel;
    private MemorySegment q;
    private MemorySegment k;
    private MemorySegment v;
    private MemorySegment out;
    private AttentionProbe probe;
    private float scale;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        parallel = Parallel.allCores();
        long width = (long) heads * headDim;
        q = random(seq * width, 1);
        k = random(seq * width, 2);
        v = random(seq * width, 3);
        out = arena.allocate(4 * seq * width, 64);
        probe = AttentionProbe.of(new int[] {seq - 1}, seq);
        scale = (float) (1 / Math.sqrt(headDim));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        parallel.close();
        arena.close();
    }

    private MemorySegment random(long n, long seed) {
        MemorySegment s = arena.allocate(4 * n, 64);
        Random random = new Random(seed);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, 2 * random.nextFloat() - 1);
        }
        return s;
    }

    @Benchmark
    public MemorySegment prefillCausal() {
        long width = (long) heads * headDim;
        Attention.attend(q, width, k, width, v, width, out, width, seq, seq, heads, heads, headDim, scale, true, parallel);
        return out;
    }

    @Benchmark
    public float[] prefillCausalProbeLastRow() {
        long width = (long) heads * headDim;
        Attention.attend(q, width, k, width, v, width, out, width, seq, seq, heads, heads, headDim, scale, true, probe, parallel);
        return probe.mean();
    }
}
