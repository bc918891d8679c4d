package dev.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    private static final Path REPO = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize();

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static Result sieve(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void inspectsTheCommittedExampleCheckpoint() {
        Result r = sieve("inspect", REPO.resolve("examples/tiny-llava").toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out())
                .contains("model.safetensors, 114 tensors, 2.3 MiB")
                .containsPattern("multi_modal_projector\\.linear_1\\.weight +F32 +\\[96, 64\\] +24\\.0 KiB")
                .contains("total: 114 tensors, 615,584 elements")
                .contains("metadata:")
                .contains("format = pt");
        // Natural order: layer 2 is listed before layer 10 would be, and layers come in numeric order.
        assertThat(r.out().indexOf("layers.0.input_layernorm")).isLessThan(r.out().indexOf("layers.1.input_layernorm"));
    }

    @Test
    void filterKeepsMatchingTensorsAndSaysTheTotalIsFiltered() {
        Result r = sieve("inspect", "--filter", "lm_head", REPO.resolve("examples/tiny-llava/model.safetensors").toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("total (filtered): 1 tensors, 28,800 elements").doesNotContain("embed_tokens");
    }

    @Test
    void aMissingPathIsOneLineAndExitCode2() {
        Result r = sieve("inspect", dir.resolve("nope").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("sieve inspect: ").contains("nope").contains("no such file");
    }

    @Test
    void aBrokenFileNamesTheFileTheTensorAndTheRule() throws IOException {
        byte[] header = "{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        byte[] file = new byte[8 + header.length + 4];
        file[0] = (byte) header.length;
        System.arraycopy(header, 0, file, 8, header.length);
        Path bad = Files.write(dir.resolve("bad.safetensors"), file);
        Result r = sieve("inspect", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).contains("bad.safetensors").contains("tensor 'w'").contains("F33").contains("rule:");
    }

    @Test
    void usageErrorsAreOneLineAndExitCode2() {
        for (String[] args : new String[][] {{"inspect"}, {"no-such-command"}, {"inspect", "--bogus", "x"}, {}}) {
            Result r = sieve(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().lines()).as(r.err()).hasSize(1);
            assertThat(r.err()).contains("--help");
        }
    }

    @Test
    void humanBytesUsesBinaryUnits() {
        assertThat(InspectCommand.humanBytes(0)).isEqualTo("0 B");
        assertThat(InspectCommand.humanBytes(1023)).isEqualTo("1023 B");
        assertThat(InspectCommand.humanBytes(1536)).isEqualTo("1.5 KiB");
        assertThat(InspectCommand.humanBytes(3L << 30)).isEqualTo("3.0 GiB");
    }

    @Test
    void aBadKernelSettingIsOneLineAndExitCode2BeforeAnyCommandRuns() {
        String before = System.getProperty("sieve.gemm.kc");
        System.setProperty("sieve.gemm.kc", "0");
        try {
            Result r = sieve("inspect", REPO.resolve("examples/tiny-llava").toString());
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).isEqualTo("sieve: -Dsieve.gemm.kc must be a whole number from 1 to 65536, got '0'" + System.lineSeparator());
        } finally {
            if (before == null) {
                System.clearProperty("sieve.gemm.kc");
            } else {
                System.setProperty("sieve.gemm.kc", before);
            }
        }
    }
}
