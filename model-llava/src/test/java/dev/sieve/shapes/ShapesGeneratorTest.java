package dev.sieve.shapes;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapesGeneratorTest {
    private static final String[] NUMBERS = {"zero", "one", "two", "three", "four", "five", "six"};

    @Test
    void sameSeedAndIndexGiveTheSameSceneAndQuestions() {
        ShapesGenerator a = new ShapesGenerator(5, 96);
        ShapesGenerator b = new ShapesGenerator(5, 96);
        for (int i = 0; i < 20; i++) {
            assertThat(b.sample(i, 3)).isEqualTo(a.sample(i, 3));
            assertThat(pixels(b.scene(i).render())).containsExactly(pixels(a.scene(i).render()));
        }
    }

    @Test
    void differentSeedsGiveDisjointScenes() {
        Set<List<SceneObject>> train = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            train.add(new ShapesGenerator(1, 96).scene(i).objects());
        }
        for (int i = 0; i < 500; i++) {
            assertThat(train).doesNotContain(new ShapesGenerator(2, 96).scene(i).objects());
        }
    }

    @Test
    void everyAnswerFollowsFromTheScene() {
        ShapesGenerator g = new ShapesGenerator(3, 96);
        Map<String, Integer> kinds = new TreeMap<>();
        int small = 0;
        for (int i = 0; i < 2000; i++) {
            ShapesGenerator.Sample s = g.sample(i, 6);
            List<SceneObject> objects = s.scene().objects();
            assertThat(objects.size()).isBetween(2, 6);
            for (Question q : s.questions()) {
                kinds.merge(q.kind(), 1, Integer::sum);
                small += q.small() ? 1 : 0;
                check(q, objects);
            }
        }
        assertThat(kinds.keySet()).containsExactlyInAnyOrderElementsOf(Questions.KINDS);
        assertThat(kinds.values()).allSatisfy(n -> assertThat(n).isGreaterThan(300));
        assertThat(small).as("questions about small objects").isGreaterThan(1500);
    }

    private static void check(Question q, List<SceneObject> objects) {
        String text = q.question();
        switch (q.kind()) {
            case "color" -> {
                List<SceneObject> named = objects.stream().filter(o -> text.contains(" " + o.kind().word() + "?")).toList();
                assertThat(named).hasSize(1);
                assertThat(q.answer()).isEqualTo(named.get(0).colour().word());
            }
            case "shape" -> {
                List<SceneObject> named = objects.stream().filter(o -> text.contains(" " + o.colour().word() + " object")).toList();
                assertThat(named).hasSize(1);
                assertThat(q.answer()).isEqualTo(named.get(0).kind().word());
            }
            case "count" -> {
                long n = objects.stream().filter(o -> text.contains(" " + o.kind().plural() + " ") || text.contains(" " + o.colour().word() + " objects")).count();
                assertThat(q.answer()).isEqualTo(NUMBERS[(int) n]);
            }
            case "exist" -> {
                boolean present = objects.stream().anyMatch(o -> text.equals("Is there a " + o.name() + "?"));
                assertThat(q.answer()).isEqualTo(present ? "yes" : "no");
            }
            case "position", "relative" -> assertThat(q.answer()).isNotBlank();
            default -> throw new AssertionError(q.kind());
        }
    }

    @Test
    void drawnObjectsShowTheirColourAtTheCentre() {
        ShapesGenerator g = new ShapesGenerator(9, 96);
        for (int i = 0; i < 50; i++) {
            Scene scene = g.scene(i);
            BufferedImage image = scene.render();
            for (SceneObject o : scene.objects()) {
                int rgb = image.getRGB((int) o.cx(), (int) o.cy()) & 0xFFFFFF;
                assertThat(rgb).isEqualTo(o.colour().r << 16 | o.colour().g << 8 | o.colour().b);
            }
        }
    }

    @Test
    void writesPngsAndJsonl(@TempDir Path dir) throws Exception {
        int questions = ShapesDataset.write(dir, new ShapesGenerator(4, 96), 5, 2);
        List<String> lines = Files.readAllLines(dir.resolve("data.jsonl"));
        assertThat(lines).hasSize(questions).hasSizeBetween(5, 10);
        assertThat(lines.get(0)).startsWith("{\"image\":\"images/000000.png\",\"question\":");
        assertThat(javax.imageio.ImageIO.read(dir.resolve("images/000004.png").toFile()).getWidth()).isEqualTo(96);
        assertThat(dir.resolve("data.jsonl.tmp")).doesNotExist();
        List<String> scenes = Files.readAllLines(dir.resolve("scenes.jsonl"));
        assertThat(scenes).hasSize(5);
        assertThat(scenes.get(0)).startsWith("{\"image\":\"images/000000.png\",\"objects\":[{\"shape\":");
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
