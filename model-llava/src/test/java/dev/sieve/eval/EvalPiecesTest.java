package dev.sieve.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalPiecesTest {
    @Test
    void wilsonIntervalMatchesKnownValuesAndStaysInsideZeroOne() {
        // 8 of 10: the textbook Wilson 95% interval is [0.4902, 0.9433].
        Wilson w = Wilson.of95(8, 10);
        assertThat(w.low()).isCloseTo(0.4902, offset(1e-4));
        assertThat(w.high()).isCloseTo(0.9433, offset(1e-4));
        assertThat(Wilson.of95(0, 20).low()).isEqualTo(0);
        assertThat(Wilson.of95(20, 20).high()).isEqualTo(1);
        assertThat(Wilson.of95(20, 20).low()).isCloseTo(0.8389, offset(1e-4));
        assertThat(Wilson.of95(0, 0)).isEqualTo(new Wilson(0, 1));
    }

    @Test
    void answersMatchAfterNormalisingCaseSpacesAndFinalPunctuation() {
        EvalQuestion q = new EvalQuestion(Path.of("x.png"), "What color?", "Red", "");
        assertThat(q.matches("red")).isTrue();
        assertThat(q.matches(" Red. ")).isTrue();
        assertThat(q.matches("red, I think")).isTrue();
        assertThat(q.matches("reddish")).isFalse();
        assertThat(q.matches("blue red")).isFalse();
        EvalQuestion twoWords = new EvalQuestion(Path.of("x.png"), "Where?", "top left", "");
        assertThat(twoWords.matches("Top left!")).isTrue();
        assertThat(twoWords.matches("top")).isFalse();
    }

    @Test
    void readsJsonlRelativeToItsFileAndNamesTheBadLine(@TempDir Path dir) throws Exception {
        Path jsonl = dir.resolve("q.jsonl");
        Files.writeString(jsonl, """
                {"image": "a.png", "question": "Q1?", "answer": "yes", "kind": "exist"}

                {"image": "b.png", "question": "Q2?", "answer": "no"}
                """);
        List<EvalQuestion> all = EvalQuestion.read(jsonl, 0);
        assertThat(all).hasSize(2);
        assertThat(all.get(0).image()).isEqualTo(dir.toAbsolutePath().resolve("a.png"));
        assertThat(all.get(0).kind()).isEqualTo("exist");
        assertThat(all.get(1).kind()).isEmpty();
        assertThat(EvalQuestion.read(jsonl, 1)).hasSize(1);
        Files.writeString(jsonl, "{\"image\": \"a.png\", \"question\": \"Q\"}\n");
        assertThatThrownBy(() -> EvalQuestion.read(jsonl, 0)).hasMessage(jsonl + ":1: needs a string field \"answer\"");
        Files.writeString(jsonl, "{\"image\": \"a.png\", \"question\": \"Q\", \"answer\": \"x\"}\nnot json\n");
        assertThatThrownBy(() -> EvalQuestion.read(jsonl, 0)).hasMessage(jsonl + ":2: not a JSON object");
    }

    @Test
    void reportGivesRatiosToTheBaselineAndWritesCsvMarkdownAndPlot(@TempDir Path dir) throws Exception {
        ConfigResult none = new ConfigResult("none");
        ConfigResult fastv = new ConfigResult("fastv:k=2,keep=16");
        ConfigResult fastv32 = new ConfigResult("fastv:k=2,keep=32");
        for (int i = 0; i < 10; i++) {
            none.add(true, "color", 144, 100, 200, 1_000_000);
            fastv.add(i < 6, i % 2 == 0 ? "color" : "count", 16, 25, 125, 400_000);
            fastv32.add(i < 8, "color", 32, 40, 140, 500_000);
        }
        EvalReport report = new EvalReport(List.of(none, fastv, fastv32), none);
        assertThat(fastv.method()).isEqualTo("fastv");
        assertThat(new ConfigResult("vispruner:keep=64+fastv:k=2,keep=32").method()).isEqualTo("vispruner+fastv");
        assertThat(report.flopsRatio(fastv)).isCloseTo(0.625, offset(1e-12));
        assertThat(report.llmFlopsRatio(fastv)).isCloseTo(0.25, offset(1e-12));
        assertThat(report.timeRatio(fastv)).isCloseTo(0.4, offset(1e-12));
        assertThat(fastv.accuracyByKind()).containsEntry("color", 0.6).containsEntry("count", 0.6);
        assertThat(report.csv().lines().skip(2).findFirst().orElseThrow())
                .isEqualTo("fastv,\"fastv:k=2,keep=16\",16.00,0.6000,0.3127,0.8318,0.6250,0.2500,0.4000,10,6");
        assertThat(report.markdown()).contains("| fastv | fastv:k=2,keep=16 | 16.0 | 0.600 | 0.313-0.832 | 0.625 | 0.250 | 0.400 | 10 |")
                .contains("| spec | color | count |");
        assertThat(report.text().lines()).hasSize(4);
        Path png = dir.resolve("plot.png");
        AccuracyPlot.write(report.results(), none, "test", png);
        assertThat(javax.imageio.ImageIO.read(png.toFile()).getWidth()).isEqualTo(960);
    }
}
