package dev.sieve.shapes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The question kinds of the shapes task, each with a one-word answer:
 * <ul>
 *   <li>{@code color}: "What color is the triangle?" (the only triangle in the scene)</li>
 *   <li>{@code shape}: "What shape is the red object?" (the only red one)</li>
 *   <li>{@code position}: "What shape is at the top left?" (the only shape in that quadrant)</li>
 *   <li>{@code count}: "How many crosses are there?" / "How many blue objects are there?" (zero to six)</li>
 *   <li>{@code exist}: "Is there a red circle?" — half of them "no" with adversarial negatives (POPE-style:
 *       the colour and the shape are both in the scene, just not together)</li>
 *   <li>{@code relative}: "Is the red circle left of the blue square?" / "... above ..." (yes/no)</li>
 * </ul>
 * Where an object is chosen, a small one is preferred half of the time.
 */
public final class Questions {
    public static final List<String> KINDS = List.of("color", "shape", "position", "count", "exist", "relative");
    private static final String[] NUMBERS = {"zero", "one", "two", "three", "four", "five", "six"};
    private static final String[] QUADRANTS = {"top left", "top right", "bottom left", "bottom right"};

    private Questions() {}

    /** Up to {@code count} questions of distinct kinds about {@code scene} (fewer when kinds do not apply). */
    static List<Question> about(Scene scene, SplittableRandom random, int count) {
        List<String> kinds = new ArrayList<>(KINDS);
        // Fisher-Yates with our own stream, so the order depends only on the seed.
        for (int i = kinds.size() - 1; i > 0; i--) {
            Collections.swap(kinds, i, random.nextInt(i + 1));
        }
        List<Question> questions = new ArrayList<>();
        for (String kind : kinds) {
            if (questions.size() == count) {
                break;
            }
            ask(kind, scene, random).ifPresent(questions::add);
        }
        return questions;
    }

    static Optional<Question> ask(String kind, Scene scene, SplittableRandom random) {
        List<SceneObject> objects = scene.objects();
        return switch (kind) {
            case "color" -> pick(objects, o -> count(objects, p -> p.kind() == o.kind()) == 1, random)
                    .map(o -> new Question(kind, "What color is the " + o.kind().word() + "?", o.colour().word(), o.small()));
            case "shape" -> pick(objects, o -> count(objects, p -> p.colour() == o.colour()) == 1, random)
                    .map(o -> new Question(kind, "What shape is the " + o.colour().word() + " object?", o.kind().word(), o.small()));
            case "position" -> pick(objects, o -> count(objects, p -> quadrant(p, scene) == quadrant(o, scene)) == 1, random)
                    .map(o -> new Question(kind, "What shape is at the " + QUADRANTS[quadrant(o, scene)] + "?", o.kind().word(), o.small()));
            case "count" -> Optional.of(countQuestion(objects, random));
            case "exist" -> existQuestion(objects, random);
            case "relative" -> relativeQuestion(objects, random);
            default -> throw new IllegalArgumentException("unknown question kind " + kind);
        };
    }

    private static Question countQuestion(List<SceneObject> objects, SplittableRandom random) {
        if (random.nextBoolean()) {
            ShapeKind shape = ShapeKind.values()[random.nextInt(ShapeKind.values().length)];
            long n = count(objects, o -> o.kind() == shape);
            return new Question("count", "How many " + shape.plural() + " are there?", NUMBERS[(int) n],
                    objects.stream().anyMatch(o -> o.kind() == shape && o.small()));
        }
        ShapeColour colour = ShapeColour.values()[random.nextInt(ShapeColour.values().length)];
        long n = count(objects, o -> o.colour() == colour);
        return new Question("count", "How many " + colour.word() + " objects are there?", NUMBERS[(int) n],
                objects.stream().anyMatch(o -> o.colour() == colour && o.small()));
    }

    private static Optional<Question> existQuestion(List<SceneObject> objects, SplittableRandom random) {
        if (random.nextBoolean()) {
            return pick(objects, o -> true, random).map(o -> new Question("exist", "Is there a " + o.name() + "?", "yes", o.small()));
        }
        // Adversarial negative: a colour and a shape that are both present, never together.
        List<String> negatives = new ArrayList<>();
        for (SceneObject a : objects) {
            for (SceneObject b : objects) {
                if (count(objects, o -> o.colour() == a.colour() && o.kind() == b.kind()) == 0) {
                    negatives.add(a.colour().word() + " " + b.kind().word());
                }
            }
        }
        if (negatives.isEmpty()) {
            ShapeColour c = ShapeColour.values()[random.nextInt(ShapeColour.values().length)];
            ShapeKind k = ShapeKind.values()[random.nextInt(ShapeKind.values().length)];
            if (count(objects, o -> o.colour() == c && o.kind() == k) > 0) {
                return Optional.empty();
            }
            negatives.add(c.word() + " " + k.word());
        }
        return Optional.of(new Question("exist", "Is there a " + negatives.get(random.nextInt(negatives.size())) + "?", "no", false));
    }

    private static Optional<Question> relativeQuestion(List<SceneObject> objects, SplittableRandom random) {
        List<SceneObject> named = objects.stream()
                .filter(o -> count(objects, p -> p.kind() == o.kind() && p.colour() == o.colour()) == 1).toList();
        boolean horizontal = random.nextBoolean();
        List<SceneObject[]> pairs = new ArrayList<>();
        for (SceneObject a : named) {
            for (SceneObject b : named) {
                double gap = horizontal ? Math.abs(a.cx() - b.cx()) : Math.abs(a.cy() - b.cy());
                if (a != b && gap >= 10) {
                    pairs.add(new SceneObject[] {a, b});
                }
            }
        }
        if (pairs.isEmpty()) {
            return Optional.empty();
        }
        SceneObject[] pair = pairs.get(random.nextInt(pairs.size()));
        boolean yes = horizontal ? pair[0].cx() < pair[1].cx() : pair[0].cy() < pair[1].cy();
        String relation = horizontal ? " left of the " : " above the ";
        return Optional.of(new Question("relative", "Is the " + pair[0].name() + relation + pair[1].name() + "?", yes ? "yes" : "no",
                pair[0].small() || pair[1].small()));
    }

    /** An object satisfying {@code filter}, preferring a small one half of the time. */
    private static Optional<SceneObject> pick(List<SceneObject> objects, Predicate<SceneObject> filter, SplittableRandom random) {
        List<SceneObject> candidates = objects.stream().filter(filter).toList();
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        List<SceneObject> small = candidates.stream().filter(SceneObject::small).toList();
        List<SceneObject> from = !small.isEmpty() && random.nextBoolean() ? small : candidates;
        return Optional.of(from.get(random.nextInt(from.size())));
    }

    private static long count(List<SceneObject> objects, Predicate<SceneObject> filter) {
        return objects.stream().filter(filter).count();
    }

    /** 0 top left, 1 top right, 2 bottom left, 3 bottom right (by the centre). */
    static int quadrant(SceneObject o, Scene scene) {
        return (o.cy() < scene.size() / 2.0 ? 0 : 2) + (o.cx() < scene.size() / 2.0 ? 0 : 1);
    }
}
