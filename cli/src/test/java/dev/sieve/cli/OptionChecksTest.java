package dev.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A numeric option out of range is one line naming that option, its rule and the value given; exit code 2; nothing runs. */
class OptionChecksTest {
    private static final Path REPO = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize();
    private static final String MODEL = REPO.resolve("models/shapes-llava").toString();
    private static final String IMAGE = REPO.resolve("models/shapes-llava/samples/000001.png").toString();

    private static void refused(String expectedErr, String... args) {
        InspectCommandTest.Result r = InspectCommandTest.sieve(args);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(expectedErr + System.lineSeparator());
    }

    @Test
    void eachOptionIsNamedAloneWithItsRuleAndValue() {
        refused("sieve run: --threads must be >= 1, got 0", "run", "--model", MODEL, "--image", IMAGE, "--prompt", "hi", "--threads", "0");
        refused("sieve run: --max-new-tokens must be >= 1, got -2", "run", "--model", MODEL, "--image", IMAGE, "--prompt", "hi", "--max-new-tokens", "-2");
        refused("sieve dataset shapes: --questions-per-image must be between 1 and 6, got 7",
                "dataset", "shapes", "--out", "/nonexistent/out", "--questions-per-image", "7");
        refused("sieve dataset shapes: --count must be >= 1, got 0", "dataset", "shapes", "--out", "/nonexistent/out", "--count", "0");
        refused("sieve bench: --reps must be >= 1, got 0", "bench", "kernels", "--reps", "0");
        refused("sieve bench: --warmup must be between 0 and 3600 seconds, got NaN", "bench", "kernels", "--warmup", "NaN");
        refused("sieve bench: --threads must be >= 1, got 0", "bench", "kernels", "--threads", "2,0");
        refused("sieve bench: bench llm needs --model DIR", "bench", "llm");
        refused("sieve bench: --prompt-tokens must be >= 1, got 0", "bench", "llm", "--model", MODEL, "--prompt-tokens", "0");
        refused("sieve bench: --gen-tokens must be >= 0, got -1", "bench", "llm", "--model", MODEL, "--gen-tokens", "-1");
        refused("sieve bench: --decode must be >= 0, got -1", "bench", "prefill", "--model", MODEL, "--decode", "-1");
        refused("sieve eval: --limit must be >= 0, got -1", "eval", "--model", MODEL, "--data", "/nonexistent.jsonl", "--limit", "-1");
        refused("sieve synth: --text-layers must be between 1 and 32, got 33", "synth", "--shape", "llava-1.5-7b", "--text-layers", "33", "--out",
                "/nonexistent/out");
    }
}
