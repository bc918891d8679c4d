package dev.sieve.llava.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {
    @TempDir
    Path tmp;

    @Test
    void undecodableFileGivesOneLineErrorNamingIt() throws IOException {
        Path bad = tmp.resolve("not-an-image.png");
        Files.writeString(bad, "hello\nworld\n");
        assertThatThrownBy(() -> ImageDecoder.decode(bad))
                .isInstanceOf(ImageDecodeException.class)
                .hasMessageContaining(bad.toString())
                .hasMessageContaining("cannot decode")
                .message().doesNotContain("\n");
    }

    @Test
    void missingFileGivesOneLineErrorNamingIt() {
        Path missing = tmp.resolve("missing.jpg");
        assertThatThrownBy(() -> ImageDecoder.decode(missing))
                .isInstanceOf(ImageDecodeException.class)
                .hasMessageContaining(missing.toString())
                .message().doesNotContain("\n");
    }

    @Test
    void alphaIsDroppedNotComposited() throws IOException {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00FF8040); // fully transparent: PIL keeps the colour
        argb.setRGB(1, 0, 0x80102030);
        RgbImage rgb = roundTrip(argb);
        assertThat(rgb.pixels()).containsExactly(0xFF, 0x80, 0x40, 0x10, 0x20, 0x30);
    }

    @Test
    void grayIsCopiedToAllChannelsWithoutGamma() throws IOException {
        BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 100);
        gray.getRaster().setSample(1, 0, 0, 7);
        assertThat(roundTrip(gray).pixels()).containsExactly(100, 100, 100, 7, 7, 7);
    }

    @Test
    void paletteIsLookedUp() throws IOException {
        byte[] r = {10, 20};
        byte[] g = {30, 40};
        byte[] b = {50, 60};
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 2, r, g, b));
        indexed.getRaster().setSample(0, 0, 0, 1);
        indexed.getRaster().setSample(1, 0, 0, 0);
        assertThat(roundTrip(indexed).pixels()).containsExactly(20, 40, 60, 10, 30, 50);
    }

    private RgbImage roundTrip(BufferedImage image) throws IOException {
        Path png = tmp.resolve("image.png");
        assertThat(ImageIO.write(image, "png", png.toFile())).isTrue();
        return ImageDecoder.decode(png);
    }
}
