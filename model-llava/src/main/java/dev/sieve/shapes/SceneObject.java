package dev.sieve.shapes;

/** One shape in a scene: kind, colour, centre (pixels) and radius; small ones cover about one patch. */
public record SceneObject(ShapeKind kind, ShapeColour colour, double cx, double cy, double radius, boolean small) {
    /** "red circle". */
    public String name() {
        return colour.word() + " " + kind.word();
    }
}
