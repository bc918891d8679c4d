package dev.sieve.viz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.llava.image.PixelValues;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeptPatchesTest {
    @Test
    void unnormalisesPixelsAndDimsOnlyTheDroppedPatches() {
        double[] mean = {0.5, 0.5, 0.5};
        double[] std = {0.25, 0.25, 0.25};
        int size = 8;
        float[] chw = new float[3 * size * size];
        java.util.Arrays.fill(chw, -2f);  // (−2·0.25 + 0.5)·255 = 0: black
        PixelValues px = new PixelValues(size, size, chw);
        BufferedImage seen = KeptPatches.seen(px, mean, std);
        assertThat(seen.getRGB(3, 3) & 0xFFFFFF).isZero();

        BufferedImage picture = KeptPatches.render(seen, 2, List.of(new KeptPatches.Panel("fastv", new int[] {0})));
        int scale = 36;  // 288 / 8
        int panel = size * scale;
        int left = 12 + panel + 12;
        int top = 12 + 26;
        // Patch 0 (top left) is kept: its inside stays black. Patch 3 (bottom right) is dropped: whitened.
        assertThat(picture.getRGB(left + panel / 4, top + panel / 4) & 0xFFFFFF).isZero();
        int dropped = picture.getRGB(left + 3 * panel / 4, top + 3 * panel / 4) & 0xFF;
        assertThat(dropped).isGreaterThan(150);
        assertThat(picture.getWidth()).isEqualTo(2 * panel + 3 * 12);
    }
}
