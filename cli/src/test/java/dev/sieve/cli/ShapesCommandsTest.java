package dev.sieve.cli;

import static dev.sieve.cli.InspectCommandTest.sieve;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sieve dataset shapes}, {@code sieve demo}, {@code sieve eval} and {@code sieve prune-viz} on
 * the bundled demo model (models/shapes-llava): runs in every clone.
 */
class ShapesCommandsTest {
    static final Path MODEL = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("models/shapes-llava");

    @TempDir
    Path dir;

    @Test
    void demoAnswersTheBundledQuestionsWithAndWithoutPruningAndDrawsThePatches() throws Exception {
        InspectCommandTest.Result r = sieve("demo", "--model", MODEL.toString(), "--out", dir.toString(), "--threads", "2");
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("vispruner:keep=16").contains("fastv:k=2,keep=16").contains(" 16/144 tokens")
                .contains("144/144 tokens").contains("expected: ");
        try (var pictures = Files.list(dir)) {
            assertThat(pictures.filter(p -> p.toString().endsWith("-kept-patches.png")).count()).isGreaterThanOrEqualTo(4);
        }
        // One line per configuration and question, and a summary per configuration.
        assertThat(r.out().lines().filter(l -> l.matches("\\s+none\\s.*(right|WRONG).*"))).hasSize(6);
        assertThat(r.out().lines().filter(l -> l.matches("(none|vispruner:keep=16|fastv:k=2,keep=16)\\s+\\d/6 right.*"))).hasSize(3);
    }

    @Test
    void evalWritesTheTableCsvMarkdownAndPlot() throws Exception {
        Path data = dir.resolve("data");
        assertThat(sieve("dataset", "shapes", "--out", data.toString(), "--count", "6", "--seed", "77").code()).isZero();
        Path out = dir.resolve("results");
        InspectCommandTest.Result r = sieve("eval", "--model", MODEL.toString(), "--data", data.resolve("data.jsonl").toString(),
                "--limit", "8", "--prune", "vispruner:keep=32", "--prune", "fastv:k=2,keep=0.25", "--out", out.toString(), "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("8 questions").contains("vispruner:keep=32").contains("fastv:k=2,keep=0.25");
        assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(4);
        assertThat(Files.readString(out.resolve("results.md"))).contains("| none | none | 144.0 |");
        assertThat(javax.imageio.ImageIO.read(out.resolve("accuracy.png").toFile())).isNotNull();
        // answers.jsonl: every question once, its answer under each configuration, and the ones that were right.
        List<String> rows = Files.readAllLines(out.resolve("answers.jsonl"));
        assertThat(rows).hasSize(8);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        int rightUnpruned = 0;
        for (String line : rows) {
            com.fasterxml.jackson.databind.JsonNode row = json.readTree(line);
            assertThat(data.resolve(row.get("image").asText())).isRegularFile();
            assertThat(row.get("question").asText()).isNotBlank();
            assertThat(row.get("answers").properties()).extracting(java.util.Map.Entry::getKey)
                    .containsExactly("none", "vispruner:keep=32", "fastv:k=2,keep=0.25");
            for (com.fasterxml.jackson.databind.JsonNode spec : row.get("right")) {
                dev.sieve.eval.EvalQuestion q = new dev.sieve.eval.EvalQuestion(null, row.get("question").asText(), row.get("answer").asText(), "");
                assertThat(q.matches(row.get("answers").get(spec.asText()).asText())).isTrue();
                rightUnpruned += spec.asText().equals("none") ? 1 : 0;
            }
        }
        assertThat(Files.readAllLines(out.resolve("results.csv")).get(1)).endsWith("," + rightUnpruned);
    }

    @Test
    void evalRefusesAMissingImageAndABadSpecInOneLine() throws Exception {
        Path jsonl = dir.resolve("q.jsonl");
        Files.writeString(jsonl, "{\"image\": \"missing.png\", \"question\": \"Q\", \"answer\": \"a\"}\n");
        InspectCommandTest.Result r = sieve("eval", "--model", MODEL.toString(), "--data", jsonl.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("sieve eval: ").contains("missing.png does not exist").hasLineCount(1);
        r = sieve("eval", "--model", MODEL.toString(), "--data", jsonl.toString(), "--prune", "fastv:k=99,keep=8");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).hasLineCount(1);
    }

    @Test
    void pruneVizDrawsOnePanelPerStage() throws Exception {
        Path png = dir.resolve("viz.png");
        Path image = Files.list(MODEL.resolve("samples")).filter(p -> p.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        InspectCommandTest.Result r = sieve("prune-viz", "--model", MODEL.toString(), "--image", image.toString(),
                "--prompt", "What color is the circle?", "--prune", "vispruner:keep=32+fastv:k=2,keep=8", "--out", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("visual tokens 144 -> 8");
        var picture = javax.imageio.ImageIO.read(png.toFile());
        assertThat(picture.getWidth()).isEqualTo(3 * 288 + 4 * 12);  // input + two stages
    }

    @Test
    void runAnswersABatchOfImagesAndPromptsTogether() throws Exception {
        java.util.List<Path> images = Files.list(MODEL.resolve("samples")).filter(p -> p.toString().endsWith(".png")).sorted().limit(2).toList();
        InspectCommandTest.Result r = sieve("run", "--model", MODEL.toString(), "--image", images.get(0).toString(), "--image",
                images.get(1).toString(), "--prompt", "How many circles are there?", "--prune", "fastv:k=2,keep=32", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("[1] " + images.get(0).getFileName() + " | How many circles are there?")
                .contains("[2] " + images.get(1).getFileName()).contains("-- batch of 2 (fastv:k=2,keep=32)");
        r = sieve("run", "--model", MODEL.toString(), "--image", images.get(0).toString(), "--image", images.get(1).toString(),
                "--prompt", "a", "--prompt", "b", "--prompt", "c");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("give one --image per --prompt");
    }
}
