package dev.sieve.shapes;

/** The shapes a scene draws; each knows which pixels it covers around its centre. */
public enum ShapeKind {
    CIRCLE, SQUARE, TRIANGLE, CROSS;

    /** The word questions and answers use. */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** "circles", "crosses". */
    public String plural() {
        return this == CROSS ? "crosses" : word() + "s";
    }

    /** Whether the pixel whose centre is at offset (dx, dy) from the shape's centre is inside a shape of radius r. */
    boolean covers(double dx, double dy, double r) {
        return switch (this) {
            case CIRCLE -> dx * dx + dy * dy <= r * r;
            case SQUARE -> Math.abs(dx) <= 0.8 * r && Math.abs(dy) <= 0.8 * r;
            // Apex up: the half-width grows linearly from 0 at the top to r at the bottom.
            case TRIANGLE -> dy >= -r && dy <= 0.8 * r && Math.abs(dx) <= r * (dy + r) / (1.8 * r);
            case CROSS -> (Math.abs(dx) <= r && Math.abs(dy) <= 0.34 * r) || (Math.abs(dy) <= r && Math.abs(dx) <= 0.34 * r);
        };
    }
}
