package dev.sieve.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic scenes for the shapes VQA task: scene {@code i} of seed {@code s} is always the same,
 * so a train split and a test split made with different seeds never share a scene.
 *
 * <p>Scenes hold 2 to 6 shapes, about a third of them small (6 to 8 pixels across, about one 8-pixel
 * patch), so that questions about small objects among distractors are lost when the wrong patches go.
 * Centres keep away from the image's midlines, so "top left" and friends are never ambiguous.
 */
public final class ShapesGenerator {
    public static final int DEFAULT_SIZE = 96;
    private static final int MIN_OBJECTS = 2;
    private static final int MAX_OBJECTS = 6;
    private static final double MIDLINE_MARGIN = 4;

    private final long seed;
    private final int size;

    public ShapesGenerator(long seed, int size) {
        if (size < 48) {
            throw new IllegalArgumentException("image size must be at least 48 pixels, not " + size);
        }
        this.seed = seed;
        this.size = size;
    }

    /** The random stream of scene {@code index}: a pure function of (seed, index). */
    SplittableRandom random(long index) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L);
    }

    public Scene scene(long index) {
        return scene(random(index));
    }

    Scene scene(SplittableRandom random) {
        int count = random.nextInt(MIN_OBJECTS, MAX_OBJECTS + 1);
        List<SceneObject> objects = new ArrayList<>();
        double scale = size / 96.0;
        for (int attempt = 0; objects.size() < count && attempt < 500; attempt++) {
            boolean small = random.nextInt(3) == 0;
            double radius = (small ? 3 + random.nextDouble() : 7 + 4 * random.nextDouble()) * scale;
            double cx = radius + 1 + random.nextDouble() * (size - 2 * radius - 2);
            double cy = radius + 1 + random.nextDouble() * (size - 2 * radius - 2);
            if (Math.abs(cx - size / 2.0) < MIDLINE_MARGIN + radius / 2 || Math.abs(cy - size / 2.0) < MIDLINE_MARGIN + radius / 2) {
                continue;
            }
            SceneObject candidate = new SceneObject(ShapeKind.values()[random.nextInt(ShapeKind.values().length)],
                    ShapeColour.values()[random.nextInt(ShapeColour.values().length)], cx, cy, radius, small);
            if (objects.stream().noneMatch(o -> Math.hypot(o.cx() - cx, o.cy() - cy) < o.radius() + radius + 3)) {
                objects.add(candidate);
            }
        }
        boolean textured = random.nextBoolean();
        int background = 35 + random.nextInt(50);
        return new Scene(size, background, textured, random.nextLong(), List.copyOf(objects));
    }

    /** Scene {@code index} with up to {@code perImage} questions of different kinds about it. */
    public Sample sample(long index, int perImage) {
        SplittableRandom random = random(index);
        Scene scene = scene(random);
        return new Sample(index, scene, Questions.about(scene, random, perImage));
    }

    /** One scene and its questions. */
    public record Sample(long index, Scene scene, List<Question> questions) {}
}
