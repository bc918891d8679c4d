package dev.sieve.cli;

import static dev.sieve.cli.InspectCommandTest.sieve;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sieve forward} on the committed tiny checkpoint and the transformers golden committed
 * beside it (examples/tiny-llava/golden_c0.safetensors): runs in every clone.
 */
class ForwardCommandTest {
    private static final Path EXAMPLE = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("examples/tiny-llava");

    @TempDir
    Path dir;

    @Test
    void writesTheLogitsAndGreedyTokensTransformersComputed() {
        Path out = dir.resolve("out.safetensors");
        InspectCommandTest.Result r = sieve("forward", "--model", EXAMPLE.toString(), "--inputs",
                EXAMPLE.resolve("golden_c0.safetensors").toString(), "--out", out.toString(), "--threads", "2");
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("25 positions, 8 new tokens [250, 272, 50, 255, 89, 85, 280, 283]");
        try (SafetensorsCheckpoint got = SafetensorsCheckpoint.open(out);
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(EXAMPLE.resolve("golden_c0.safetensors"))) {
            assertThat(got.tensor("logits").shape()).containsExactly(1, 25, 300);
            assertThat(got.tensor("generated_ids").toLongArray()).containsExactly(golden.tensor("generate.new_tokens").toLongArray());
            float[] logits = got.tensor("logits").toFloatArray();
            float[] expected = golden.tensor("logits").toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertThat((double) Math.abs(logits[i] - expected[i])).as("logits[%d]", i).isLessThanOrEqualTo(1e-4 + 1e-4 * Math.abs(expected[i]));
            }
        }
    }

    @Test
    void inputsWithoutPixelValuesAreOneLineAndExitCode2() {
        Path in = SafetensorsWriter.to(dir.resolve("in.safetensors"))
                .addLongs("input_ids", DType.I64, new long[] {1, 2}, new long[] {1, 299}).write();
        InspectCommandTest.Result r = sieve("forward", "--model", EXAMPLE.toString(), "--inputs", in.toString(), "--out",
                dir.resolve("o.safetensors").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).contains("no tensor 'pixel_values'");
        assertThat(dir.resolve("o.safetensors")).doesNotExist();
    }

    @Test
    void aPromptWithTwoImageTokensIsRefused() {
        Path in = SafetensorsWriter.to(dir.resolve("in.safetensors"))
                .addFloats("pixel_values", DType.F32, new long[] {1, 3, 56, 56}, new float[3 * 56 * 56])
                .addLongs("input_ids", DType.I64, new long[] {1, 3}, new long[] {1, 299, 299}).write();
        InspectCommandTest.Result r = sieve("forward", "--model", EXAMPLE.toString(), "--inputs", in.toString(), "--out",
                dir.resolve("o.safetensors").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("2 image tokens").contains("expected 1 or 16");
    }

    @Test
    void aDirectoryWithoutConfigIsNamed() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        InspectCommandTest.Result r = sieve("forward", "--model", empty.toString(), "--inputs",
                EXAMPLE.resolve("golden_c0.safetensors").toString(), "--out", dir.resolve("o.safetensors").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).contains("config.json");
    }

    @Test
    void fastVPruningWritesTheKeptIndicesAndTheShortenedLogits() {
        Path out = dir.resolve("pruned.safetensors");
        InspectCommandTest.Result r = sieve("forward", "--model", EXAMPLE.toString(), "--inputs",
                EXAMPLE.resolve("golden_c0.safetensors").toString(), "--out", out.toString(), "--prune", "fastv:k=2,keep=4");
        assertThat(r.code()).as(r.err()).isZero();
        try (SafetensorsCheckpoint got = SafetensorsCheckpoint.open(out)) {
            long[] kept = got.tensor("kept_indices.0").toLongArray();
            assertThat(kept).hasSize(4).isSorted();
            assertThat(kept[3]).isLessThan(16);
            assertThat(got.tensor("logits").shape()).containsExactly(1, 10 - 1 + 4, 300);
            assertThat(got.metadata()).containsEntry("prune", "fastv:k=2,keep=4").containsKey("prefill_flops_llm");
            assertThat(got.tensor("tokens_per_layer").toLongArray()).containsExactly(25, 25, 13, 13);
        }
    }

    @Test
    void anUnknownPruneSpecListsWhatIsAccepted() {
        for (String spec : new String[] {"magic:keep=4", "fastv:k=9,keep=4", "fastv:k=2,keep=99"}) {
            InspectCommandTest.Result r = sieve("forward", "--model", EXAMPLE.toString(), "--inputs",
                    EXAMPLE.resolve("golden_c0.safetensors").toString(), "--out", dir.resolve("o.safetensors").toString(), "--prune", spec);
            assertThat(r.code()).as(spec).isEqualTo(2);
            assertThat(r.err().lines()).as(r.err()).hasSize(1);
        }
        assertThat(sieve("forward", "--model", EXAMPLE.toString(), "--inputs", EXAMPLE.resolve("golden_c0.safetensors").toString(),
                "--out", dir.resolve("o.safetensors").toString(), "--prune", "magic").err()).contains("accepted: none, ").contains("fastv:k=K,keep=N|RATIO");
    }

    @Test
    void aVisionMethodThenFastVWritesOneKeptIndexTensorPerStage() {
        Path out = dir.resolve("two-stage.safetensors");
        InspectCommandTest.Result r = sieve("forward", "--model", EXAMPLE.toString(), "--inputs",
                EXAMPLE.resolve("golden_c0.safetensors").toString(), "--out", out.toString(), "--prune", "vispruner:keep=8+fastv:k=2,keep=4");
        assertThat(r.code()).as(r.err()).isZero();
        try (SafetensorsCheckpoint got = SafetensorsCheckpoint.open(out)) {
            long[] first = got.tensor("kept_indices.0").toLongArray();
            long[] second = got.tensor("kept_indices.1").toLongArray();
            assertThat(first).hasSize(8).isSorted();
            assertThat(second).hasSize(4).isSorted();
            assertThat(first).contains(second);
            assertThat(got.tensor("logits").shape()).containsExactly(1, 10 - 1 + 4, 300);
        }
    }

    @Test
    void pyramidDropWritesOneKeptIndexTensorPerStage() {
        Path out = dir.resolve("pdrop.safetensors");
        InspectCommandTest.Result r = sieve("forward", "--model", EXAMPLE.toString(), "--inputs",
                EXAMPLE.resolve("golden_c0.safetensors").toString(), "--out", out.toString(), "--prune", "pdrop:layers=1/2,ratios=0.5/0.25");
        assertThat(r.code()).as(r.err()).isZero();
        try (SafetensorsCheckpoint got = SafetensorsCheckpoint.open(out)) {
            assertThat(got.tensor("kept_indices.0").toLongArray()).hasSize(8);
            assertThat(got.tensor("kept_indices.1").toLongArray()).hasSize(4);
            assertThat(got.tensor("kept_indices.0").toLongArray()).contains(got.tensor("kept_indices.1").toLongArray());
            assertThat(got.tensor("logits").shape()).containsExactly(1, 10 - 1 + 4, 300);
        }
    }
}
