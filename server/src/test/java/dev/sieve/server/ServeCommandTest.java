package dev.sieve.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code sieve serve} and {@code sieve load} are commands of the sieve CLI, and bad options are one line with exit code 2. */
class ServeCommandTest {
    record Result(int code, String out, String err) {}

    static Result sieve(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void serveAndLoadAreSieveCommands() {
        assertThat(sieve("serve", "--help").out()).contains("--max-batch", "--max-queue", "--prune", "--allow-local-images");
        assertThat(sieve("load", "--help").out()).contains("--concurrency");
    }

    @Test
    void badServeOptionsAreOneLineAndExitCode2() {
        Result prune = sieve("serve", "--model", Http.SHAPES.toString(), "--port", "0", "--prune", "fastv:k=9,keep=8");
        assertThat(prune.code()).isEqualTo(2);
        assertThat(prune.err().lines()).hasSize(1);
        assertThat(prune.err()).contains("fastv k=9 must be between 1 and 3");
        Result model = sieve("serve", "--model", "/nonexistent/model", "--port", "0");
        assertThat(model.code()).isEqualTo(2);
        assertThat(model.err().lines()).hasSize(1);
        Result batch = sieve("serve", "--model", Http.SHAPES.toString(), "--max-batch", "0");
        assertThat(batch.code()).isEqualTo(2);
        assertThat(batch.err().lines()).hasSize(1);
        assertThat(batch.err()).isEqualTo("sieve serve: --max-batch must be >= 1, got 0" + System.lineSeparator());
        // Each numeric option is named alone, with the rule and the value given.
        assertThat(sieve("serve", "--model", Http.SHAPES.toString(), "--port", "70000").err())
                .isEqualTo("sieve serve: --port must be between 0 and 65535, got 70000" + System.lineSeparator());
        assertThat(sieve("serve", "--model", Http.SHAPES.toString(), "--max-queue", "-1").err())
                .isEqualTo("sieve serve: --max-queue must be >= 0, got -1" + System.lineSeparator());
        assertThat(sieve("serve", "--model", Http.SHAPES.toString(), "--max-image-pixels", "0").err())
                .isEqualTo("sieve serve: --max-image-pixels must be >= 1, got 0" + System.lineSeparator());
        Result load = sieve("load", "--url", "http://127.0.0.1:1", "--data", "/nonexistent.jsonl", "--concurrency", "2,0");
        assertThat(load.code()).isEqualTo(2);
        assertThat(load.err()).isEqualTo("sieve load: --concurrency must be >= 1, got 0" + System.lineSeparator());
    }
}
