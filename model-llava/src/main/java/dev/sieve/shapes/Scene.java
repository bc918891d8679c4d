package dev.sieve.shapes;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A scene of the shapes dataset: coloured shapes on a plain or textured grey background. It is drawn
 * with a tiny rasteriser of our own (pixel-centre tests, no anti-aliasing) rather than Java2D, so the
 * same seed gives the same pixels on every JDK.
 */
public record Scene(int size, int backgroundLevel, boolean textured, long textureSeed, List<SceneObject> objects) {

    public BufferedImage render() {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        SplittableRandom noise = new SplittableRandom(textureSeed);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int level = backgroundLevel;
                if (textured) {
                    // Low-contrast noise plus faint diagonal stripes: texture the model must learn to ignore.
                    level += noise.nextInt(-14, 15) + (((x + y) / 6) % 2 == 0 ? 8 : -8);
                }
                int grey = Math.clamp(level, 0, 255);
                image.setRGB(x, y, grey << 16 | grey << 8 | grey);
            }
        }
        for (SceneObject o : objects) {
            int x0 = (int) Math.floor(o.cx() - o.radius() - 1);
            int y0 = (int) Math.floor(o.cy() - o.radius() - 1);
            for (int y = Math.max(0, y0); y <= Math.min(size - 1, o.cy() + o.radius() + 1); y++) {
                for (int x = Math.max(0, x0); x <= Math.min(size - 1, o.cx() + o.radius() + 1); x++) {
                    if (o.kind().covers(x + 0.5 - o.cx(), y + 0.5 - o.cy(), o.radius())) {
                        image.setRGB(x, y, o.colour().r << 16 | o.colour().g << 8 | o.colour().b);
                    }
                }
            }
        }
        return image;
    }
}
