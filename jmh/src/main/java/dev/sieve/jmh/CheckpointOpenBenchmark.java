package dev.sieve.jmh;

import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.SafetensorsWriter;
import dev.sieve.safetensors.TensorView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to open a multi-GiB checkpoint (F16, Llama-7B-shaped tensors) and touch the first row of
 * every tensor: header parsing, validation, mapping and one page per tensor. Run with
 * {@code -prof gc} to see that the allocation per open is a few hundred KiB however large the
 * file is (nothing of the data is copied onto the heap).
 *
 * <p>The checkpoint is written once to {@code java.io.tmpdir} (or {@code -Dsieve.bench.dir=DIR})
 * and reused by later runs; it stays in the page cache on a machine with enough memory, so this
 * measures the warm-cache open a server sees on restart.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CheckpointOpenBenchmark {
    private static final int HIDDEN = 4096;
    private static final int MLP = 11008;
    private static final int VOCAB = 32000;

    /** Decoder layers in the synthetic checkpoint: 10 layers + embeddings + lm_head = 4.3 GiB of F16. */
    @Param({"10"})
    public int layers;

    private Path file;

    @Setup(Level.Trial)
    public void writeCheckpointOnce() {
        Path dir = Path.of(System.getProperty("sieve.bench.dir", System.getProperty("java.io.tmpdir")));
        file = dir.resolve("sieve-bench-llama-f16-" + layers + "layers.safetensors");
        if (Files.isRegularFile(file)) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            // One zero-filled buffer, sliced for every tensor: the content does not matter here.
            MemorySegment zeros = arena.allocate((long) VOCAB * HIDDEN * 2);
            SafetensorsWriter w = SafetensorsWriter.to(file).metadata("format", "pt");
            add(w, zeros, "model.embed_tokens.weight", VOCAB, HIDDEN);
            add(w, zeros, "lm_head.weight", VOCAB, HIDDEN);
            add(w, zeros, "model.norm.weight", HIDDEN);
            for (int i = 0; i < layers; i++) {
                String p = "model.layers." + i + ".";
                for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "o_proj"}) {
                    add(w, zeros, p + "self_attn." + proj + ".weight", HIDDEN, HIDDEN);
                }
                add(w, zeros, p + "mlp.gate_proj.weight", MLP, HIDDEN);
                add(w, zeros, p + "mlp.up_proj.weight", MLP, HIDDEN);
                add(w, zeros, p + "mlp.down_proj.weight", HIDDEN, MLP);
                add(w, zeros, p + "input_layernorm.weight", HIDDEN);
                add(w, zeros, p + "post_attention_layernorm.weight", HIDDEN);
            }
            w.write();
        }
    }

    private static void add(SafetensorsWriter w, MemorySegment zeros, String name, long... shape) {
        long elements = 1;
        for (long d : shape) {
            elements *= d;
        }
        w.add(name, DType.F16, shape, zeros.asSlice(0, elements * 2));
    }

    @Benchmark
    public double openAndTouchFirstRowOfEveryTensor() {
        double sum = 0;
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(file)) {
            for (TensorView t : checkpoint.tensors()) {
                long row = t.rank() == 0 ? 1 : t.dim(-1);
                for (long i = 0; i < row; i++) {
                    sum += t.getFloat(i);
                }
            }
        }
        return sum;
    }
}
