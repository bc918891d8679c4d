package dev.sieve.viz;

import dev.sieve.llava.image.PixelValues;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The picture people want from a pruning run: the image the model saw (pixel values un-normalised),
 * then one panel per pruning stage with the kept patches bright and outlined and the dropped ones
 * dimmed. Panels are scaled up so that small images stay readable.
 */
public final class KeptPatches {
    /** One panel: a title and the kept patch indices (raster order over the grid). */
    public record Panel(String title, int[] kept) {}

    private static final int MIN_PANEL = 288;
    private static final int GAP = 12;
    private static final int TITLE = 26;

    private KeptPatches() {}

    /** The image as the vision tower saw it: (x·std + mean)·255 per channel. */
    public static BufferedImage seen(PixelValues pixels, double[] mean, double[] std) {
        BufferedImage image = new BufferedImage(pixels.width(), pixels.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < pixels.height(); y++) {
            for (int x = 0; x < pixels.width(); x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int v = (int) Math.round(Math.clamp((pixels.get(c, y, x) * std[c] + mean[c]) * 255.0, 0, 255));
                    rgb = rgb << 8 | v;
                }
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }

    /** The input panel followed by {@code panels}, side by side, for a {@code grid} x {@code grid} patch layout. */
    public static BufferedImage render(BufferedImage seen, int grid, List<Panel> panels) {
        int scale = Math.max(1, (MIN_PANEL + seen.getWidth() - 1) / seen.getWidth());
        int pw = seen.getWidth() * scale;
        int ph = seen.getHeight() * scale;
        int n = panels.size() + 1;
        BufferedImage out = new BufferedImage(n * pw + (n + 1) * GAP, ph + TITLE + 2 * GAP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        int top = GAP + TITLE;
        draw(g, seen, GAP, top, pw, ph, "input (" + grid * grid + " patches)");
        double cell = (double) pw / grid;
        for (int p = 0; p < panels.size(); p++) {
            Panel panel = panels.get(p);
            int left = GAP + (p + 1) * (pw + GAP);
            draw(g, seen, left, top, pw, ph, panel.title() + ": " + panel.kept().length + " kept");
            boolean[] kept = new boolean[grid * grid];
            for (int k : panel.kept()) {
                if (k >= 0 && k < kept.length) {
                    kept[k] = true;
                }
            }
            for (int i = 0; i < kept.length; i++) {
                int x = left + (int) Math.round(i % grid * cell);
                int y = top + (int) Math.round(i / grid * cell);
                int w = (int) Math.round(cell);
                if (kept[i]) {
                    g.setColor(new Color(255, 200, 0));
                    g.drawRect(x, y, w - 1, w - 1);
                } else {
                    g.setColor(new Color(255, 255, 255, 185));
                    g.fillRect(x, y, w, w);
                }
            }
        }
        g.dispose();
        return out;
    }

    private static void draw(Graphics2D g, BufferedImage seen, int left, int top, int w, int h, String title) {
        g.drawImage(seen, left, top, w, h, null);
        g.setColor(Color.BLACK);
        g.drawString(title, left, top - 8);
    }

    public static void write(BufferedImage image, Path png) throws IOException {
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer in this JDK");
        }
    }
}
