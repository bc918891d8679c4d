package dev.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void inLogsItPrintsOneLinePerTenthWithCountsAndEta() {
        StringWriter text = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(text), "eval", 200, false);
        for (int i = 1; i <= 200; i++) {
            bar.update(i);
        }
        bar.finish();
        assertThat(text.toString().lines()).hasSize(11);
        assertThat(text.toString().lines().toList().get(10)).startsWith("eval [##############################] 200/200 ")
                .contains("ETA 0s");
    }

    @Test
    void onATerminalItRedrawsInPlace() {
        StringWriter text = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(text), "x", 4, true);
        bar.update(1);
        bar.update(4);
        bar.finish();
        assertThat(text.toString()).startsWith("\rx [#######.......................] 1/4").doesNotContain("\n").endsWith("\r\033[K");
    }

    @Test
    void durationsReadLikeAClock() {
        assertThat(ProgressBar.format(Duration.ofSeconds(42))).isEqualTo("42s");
        assertThat(ProgressBar.format(Duration.ofSeconds(125))).isEqualTo("2m05s");
        assertThat(ProgressBar.format(Duration.ofSeconds(3725))).isEqualTo("1h02m");
    }
}
