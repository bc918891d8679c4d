package dev.sieve.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Accuracy against visual tokens kept (log-2 axis), one line per method, the unpruned accuracy as a
 * dashed reference line, 95% intervals as whiskers — drawn with Java2D, no plotting library.
 */
public final class AccuracyPlot {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0xbcbd22), new Color(0x7f7f7f),
        new Color(0x000080), new Color(0x808000)};
    private static final int W = 960;
    private static final int H = 600;
    private static final int LEFT = 80;
    private static final int RIGHT = 230;
    private static final int TOP = 50;
    private static final int BOTTOM = 70;

    private AccuracyPlot() {}

    public static void write(List<ConfigResult> results, ConfigResult baseline, String title, Path png) throws IOException {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);

        double maxTokens = results.stream().mapToDouble(ConfigResult::meanVisualTokens).max().orElse(1);
        double minTokens = results.stream().mapToDouble(ConfigResult::meanVisualTokens).filter(t -> t > 0).min().orElse(1);
        double x0 = Math.floor(log2(Math.max(1, minTokens))) - 0.3;
        double x1 = Math.ceil(log2(Math.max(2, maxTokens))) + 0.3;
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        java.util.function.DoubleUnaryOperator px = t -> LEFT + (log2(Math.max(1, t)) - x0) / (x1 - x0) * plotW;
        java.util.function.DoubleUnaryOperator py = a -> TOP + (1 - a) * plotH;

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.setColor(new Color(0xdddddd));
        for (int i = 0; i <= 10; i++) {
            int y = (int) py.applyAsDouble(i / 10.0);
            g.drawLine(LEFT, y, LEFT + plotW, y);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(LEFT, TOP, plotW, plotH);
        for (int i = 0; i <= 10; i += 2) {
            int y = (int) py.applyAsDouble(i / 10.0);
            g.drawString(String.format(Locale.ROOT, "%.1f", i / 10.0), LEFT - 32, y + 5);
        }
        for (int e = (int) Math.ceil(x0); e <= x1; e++) {
            int x = (int) px.applyAsDouble(Math.pow(2, e));
            g.drawLine(x, TOP + plotH, x, TOP + plotH + 5);
            String label = String.valueOf(1 << e);
            g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, TOP + plotH + 20);
        }
        g.drawString("visual tokens kept (log scale)", LEFT + plotW / 2 - 90, H - 25);
        g.rotate(-Math.PI / 2);
        g.drawString("accuracy", -(TOP + plotH / 2 + 30), 25);
        g.rotate(Math.PI / 2);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, LEFT, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));

        // Unpruned reference line.
        int yBase = (int) py.applyAsDouble(baseline.accuracy());
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 5}, 0));
        g.drawLine(LEFT, yBase, LEFT + plotW, yBase);
        int legendY = TOP + 10;
        g.drawLine(LEFT + plotW + 15, legendY, LEFT + plotW + 45, legendY);
        g.drawString(String.format(Locale.ROOT, "unpruned (%.3f)", baseline.accuracy()), LEFT + plotW + 52, legendY + 5);

        Map<String, List<ConfigResult>> byMethod = new LinkedHashMap<>();
        for (ConfigResult r : results) {
            if (r != baseline) {
                byMethod.computeIfAbsent(r.method(), m -> new ArrayList<>()).add(r);
            }
        }
        int colour = 0;
        for (Map.Entry<String, List<ConfigResult>> method : byMethod.entrySet()) {
            Color c = PALETTE[colour++ % PALETTE.length];
            List<ConfigResult> points = new ArrayList<>(method.getValue());
            points.sort(Comparator.comparingDouble(ConfigResult::meanVisualTokens));
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            for (int i = 1; i < points.size(); i++) {
                g.drawLine((int) px.applyAsDouble(points.get(i - 1).meanVisualTokens()), (int) py.applyAsDouble(points.get(i - 1).accuracy()),
                        (int) px.applyAsDouble(points.get(i).meanVisualTokens()), (int) py.applyAsDouble(points.get(i).accuracy()));
            }
            g.setStroke(new BasicStroke(1f));
            for (ConfigResult p : points) {
                int x = (int) px.applyAsDouble(p.meanVisualTokens());
                int y = (int) py.applyAsDouble(p.accuracy());
                g.fillOval(x - 4, y - 4, 9, 9);
                g.drawLine(x, (int) py.applyAsDouble(p.interval().low()), x, (int) py.applyAsDouble(p.interval().high()));
            }
            legendY += 22;
            g.setStroke(new BasicStroke(2f));
            g.drawLine(LEFT + plotW + 15, legendY, LEFT + plotW + 45, legendY);
            g.fillOval(LEFT + plotW + 26, legendY - 4, 9, 9);
            g.setColor(Color.BLACK);
            g.drawString(method.getKey(), LEFT + plotW + 52, legendY + 5);
        }
        g.dispose();
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer in this JDK");
        }
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }
}
