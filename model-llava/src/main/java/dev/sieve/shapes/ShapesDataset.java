package dev.sieve.shapes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/**
 * Writes a split of the shapes dataset: {@code images/NNNNNN.png}, {@code data.jsonl} with one
 * {@code {"image", "question", "answer", "kind", "small"}} object per line (image paths relative to the
 * JSONL file), and {@code scenes.jsonl} with each image's objects (shape, color, centre, radius, small)
 * — the ground truth, e.g. for dense auxiliary targets in training. The JSONL files are written through
 * temporary files, data.jsonl last, so a split is complete or absent.
 */
public final class ShapesDataset {
    private ShapesDataset() {}

    /** Writes {@code count} scenes with up to {@code perImage} questions each; returns the number of questions. */
    public static int write(Path dir, ShapesGenerator generator, int count, int perImage) {
        ObjectMapper json = new ObjectMapper();
        try {
            Files.createDirectories(dir.resolve("images"));
            Path tmp = dir.resolve("data.jsonl.tmp");
            Path scenesTmp = dir.resolve("scenes.jsonl.tmp");
            int questions = 0;
            try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
                 BufferedWriter scenes = Files.newBufferedWriter(scenesTmp, StandardCharsets.UTF_8)) {
                for (int i = 0; i < count; i++) {
                    ShapesGenerator.Sample sample = generator.sample(i, perImage);
                    String image = "images/" + String.format("%06d", i) + ".png";
                    if (!ImageIO.write(sample.scene().render(), "png", dir.resolve(image).toFile())) {
                        throw new IllegalStateException("no PNG writer in this JDK");
                    }
                    ObjectNode scene = json.createObjectNode().put("image", image);
                    var objects = scene.putArray("objects");
                    for (SceneObject o : sample.scene().objects()) {
                        objects.addObject().put("shape", o.kind().word()).put("color", o.colour().word())
                                .put("cx", o.cx()).put("cy", o.cy()).put("r", o.radius()).put("small", o.small());
                    }
                    scenes.write(json.writeValueAsString(scene));
                    scenes.write('\n');
                    for (Question q : sample.questions()) {
                        ObjectNode line = json.createObjectNode();
                        line.put("image", image).put("question", q.question()).put("answer", q.answer())
                                .put("kind", q.kind()).put("small", q.small());
                        out.write(json.writeValueAsString(line));
                        out.write('\n');
                        questions++;
                    }
                }
            }
            Files.move(scenesTmp, dir.resolve("scenes.jsonl"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, dir.resolve("data.jsonl"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return questions;
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }
}
