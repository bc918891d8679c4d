package dev.sieve.jmh;

import dev.sieve.kernels.Exp;
import dev.sieve.kernels.Lanes;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What reproducibility costs: the kernels' {@link Exp#exp(FloatVector)} against the Vector API's
 * {@code lanewise(EXP)} (an intrinsic math library once C2 compiles it, with different last bits
 * before), and {@link Lanes#sum} against {@code reduceLanes(ADD)} (unspecified order), over 4,096
 * floats (one softmax row of a long prompt; 256 vectors of 16 lanes with AVX-512).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ReproducibleMathBenchmark {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private final float[] x = new float[4096];
    private final float[] out = new float[4096];

    @Setup
    public void setUp() {
        Random random = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (-random.nextDouble() * 30); // softmax arguments: scores minus the row maximum
        }
    }

    @Benchmark
    public float[] expSieve() {
        for (int i = 0; i < x.length; i += SPECIES.length()) {
            Exp.exp(FloatVector.fromArray(SPECIES, x, i)).intoArray(out, i);
        }
        return out;
    }

    @Benchmark
    public float[] expVectorApi() {
        for (int i = 0; i < x.length; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, x, i).lanewise(VectorOperators.EXP).intoArray(out, i);
        }
        return out;
    }

    /** One lane sum per vector: the pattern of attention's per-key dot products during decode. */
    @Benchmark
    public float lanesSumSieve() {
        float total = 0;
        for (int i = 0; i < x.length; i += SPECIES.length()) {
            total += Lanes.sum(FloatVector.fromArray(SPECIES, x, i));
        }
        return total;
    }

    @Benchmark
    public float lanesSumReduceLanes() {
        float total = 0;
        for (int i = 0; i < x.length; i += SPECIES.length()) {
            total += FloatVector.fromArray(SPECIES, x, i).reduceLanes(VectorOperators.ADD);
        }
        return total;
    }
}
