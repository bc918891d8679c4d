package dev.sieve.cli;

import static dev.sieve.cli.InspectCommandTest.sieve;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.llava.Llava;
import dev.sieve.llava.SyntheticCheckpoint;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthAndBenchCommandTest {
    private static final Path EXAMPLE = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("examples/tiny-llava");

    @TempDir
    Path dir;

    @Test
    void aSyntheticCheckpointIsShardedIndexedAndRuns() throws Exception {
        // The 7B layout at toy sizes: same names, sharding and configs.
        SyntheticCheckpoint.Shape tiny = new SyntheticCheckpoint.Shape(32, 64, 3, 2, 28, 14, 48, 96, 6, 4, 2, 320, 128);
        long bytes = SyntheticCheckpoint.write(dir, tiny, DType.F16, 3);
        assertThat(dir.resolve("model-00001-of-00003.safetensors")).exists();
        assertThat(dir.resolve("model-00003-of-00003.safetensors")).exists();
        assertThat(Files.readString(dir.resolve("model.safetensors.index.json"))).contains("\"total_size\" : " + bytes);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            assertThat(ckpt.tensor("language_model.model.layers.5.self_attn.k_proj.weight").shape()).containsExactly(24, 48);
            assertThat(ckpt.tensor("language_model.model.layers.5.self_attn.k_proj.weight").dtype()).isEqualTo(DType.F16);
            assertThat(ckpt.tensor("language_model.model.norm.weight").getFloat(7)).isEqualTo(1f);
        }
        try (Llava llava = Llava.load(dir); ExecutionContext ctx = ExecutionContext.create(2)) {
            float[] pixels = new float[3 * 28 * 28];
            Llava.Generation g = llava.generate(pixels, new int[] {1, 5, 318, 7, 9}, 3, new Ops(ctx));
            assertThat(g.promptLength()).isEqualTo(4 + 4);
            assertThat(g.newTokens()).hasSize(3);
            for (float v : g.promptLogits()) {
                assertThat(Float.isFinite(v)).isTrue();
            }
        }
    }

    @Test
    void synthRefusesUnknownShapesAndLayerCountsInOneLine() {
        InspectCommandTest.Result r = sieve("synth", "--shape", "llava-9b", "--out", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("sieve synth: --shape must be llava-1.5-7b or llava-1.5-13b, got 'llava-9b'\n");
        r = sieve("synth", "--text-layers", "33", "--out", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--text-layers must be between 1 and 32");
    }

    @Test
    void benchPrefillReportsEveryConfigurationAgainstTheUnprunedPass() {
        InspectCommandTest.Result r = sieve("bench", "prefill", "--model", EXAMPLE.toString(), "--prune", "fastv:k=2,keep=4",
                "--prune", "vispruner:keep=8", "--reps", "1", "--decode", "2", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("bench prefill: rep 1 fastv:k=2,keep=4: ");
        assertThat(r.out()).contains("# sieve bench prefill").containsPattern("\\nnone\\s+16\\s")
                .containsPattern("\\nfastv:k=2,keep=4\\s+4\\s").containsPattern("\\nvispruner:keep=8\\s+8\\s")
                .contains("decode (unpruned, KV cache): 2 tokens");
    }

    @Test
    void benchLlmPrintsLlamaBenchLinesForEveryWeightType() {
        for (String weights : new String[] {null, "q8_0", "bf16", "no-mmap"}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("bench", "llm", "--model", EXAMPLE.toString(),
                    "--prompt-tokens", "12", "--gen-tokens", "3", "--reps", "2", "--warm-passes", "0", "--threads", "2"));
            boolean copy = "no-mmap".equals(weights);
            if (copy) {
                args.add("--no-mmap");
            } else if (weights != null) {
                args.addAll(java.util.List.of("--weights", weights));
            }
            InspectCommandTest.Result r = sieve(args.toArray(String[]::new));
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("# sieve bench llm: ")
                    .contains(copy ? "weights as stored, copied into memory" : weights == null ? "weights as stored (memory-mapped)" : weights.toUpperCase())
                    .containsPattern("\npp12\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\n")
                    .containsPattern("(?m)^pp12 [0-9]+\\.[0-9]{2} t/s$").containsPattern("(?m)^tg3 [0-9]+\\.[0-9]{2} t/s$");
            if (copy) {
                assertThat(r.err()).containsPattern("copying weights into memory: [0-9.]+ GiB in ");
            } else if (weights != null) {
                assertThat(r.err()).containsPattern("converting weights to " + weights.toUpperCase() + ": [0-9.]+ GiB in ");
            } else {
                assertThat(r.err()).doesNotContain("GiB in");
            }
        }
    }

    @Test
    void benchLlmAndRunRefuseBadWeightsAndCountsInOneLine() {
        InspectCommandTest.Result r = sieve("bench", "llm", "--model", EXAMPLE.toString(), "--weights", "q4_k");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("sieve bench: --weights must be one of q8_0, bf16, f16, f32; got 'q4_k'\n");
        r = sieve("bench", "llm", "--model", EXAMPLE.toString(), "--prompt-tokens", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--prompt-tokens").doesNotContain("Exception");
        r = sieve("bench", "llm");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("bench llm needs --model DIR");
    }
}
