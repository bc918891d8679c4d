package dev.sieve.llava.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PillowBicubicResizerTest {
    private static RgbImage ramp(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 37 + 11);
        }
        return new RgbImage(w, h, px);
    }

    @Test
    void sameSizeIsIdentity() {
        RgbImage twoByTwo = ramp(2, 2);
        RgbImage fourByOne = ramp(4, 1);
        assertThat(PillowBicubicResizer.resize(twoByTwo, 2, 2)).isEqualTo(twoByTwo);
        assertThat(PillowBicubicResizer.resize(fourByOne, 4, 1)).isEqualTo(fourByOne);
    }

    @Test
    void constantImageStaysConstantAtAnySize() {
        // Taps are normalised to sum to one, so a flat colour must survive up- and downscaling.
        RgbImage flat = RgbImage.filled(7, 5, 200, 3, 128);
        assertThat(PillowBicubicResizer.resize(flat, 3, 11)).isEqualTo(RgbImage.filled(3, 11, 200, 3, 128));
        assertThat(PillowBicubicResizer.resize(flat, 20, 2)).isEqualTo(RgbImage.filled(20, 2, 200, 3, 128));
    }

    @Test
    void onlyTheChangedDimensionIsFiltered() {
        // Pillow skips the vertical pass when the height is unchanged: every row is resized on its own.
        RgbImage image = ramp(6, 3);
        RgbImage resized = PillowBicubicResizer.resize(image, 4, 3);
        for (int y = 0; y < 3; y++) {
            RgbImage row = ImageGeometry.crop(image, 0, y, 6, 1);
            assertThat(ImageGeometry.crop(resized, 0, y, 4, 1)).isEqualTo(PillowBicubicResizer.resize(row, 4, 1));
        }
    }

    @Test
    void bicubicKernelUsesPillowsA() {
        assertThat(BicubicFilterTaps.filter(0.0)).isEqualTo(1.0);
        assertThat(BicubicFilterTaps.filter(1.0)).isEqualTo(0.0);
        assertThat(BicubicFilterTaps.filter(2.0)).isEqualTo(0.0);
        // a = -0.5: f(1.5) = (((1.5 - 5) * 1.5 + 8) * 1.5 - 4) * -0.5 = -0.0625
        assertThat(BicubicFilterTaps.filter(-1.5)).isEqualTo(-0.0625);
    }

    @Test
    void downscalingWidensTheSupport() {
        BicubicFilterTaps halving = BicubicFilterTaps.compute(8, 4);
        BicubicFilterTaps same = BicubicFilterTaps.compute(8, 8);
        assertThat(halving.stride).isEqualTo(9);
        assertThat(same.stride).isEqualTo(5);
        int sum = 0;
        for (int i = 0; i < halving.count[1]; i++) {
            sum += halving.taps[halving.stride + i];
        }
        assertThat(sum).isBetween((1 << 22) - 4, (1 << 22) + 4);
    }
}
