package dev.sieve.shapes;

/** The fill colours of the shapes: saturated, far from each other and from the grey backgrounds. */
public enum ShapeColour {
    RED(220, 40, 40), GREEN(40, 180, 60), BLUE(50, 90, 235), YELLOW(235, 215, 40), PURPLE(160, 60, 210), WHITE(245, 245, 245);

    final int r;
    final int g;
    final int b;

    ShapeColour(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
