package dev.sieve.llava.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageGeometryTest {
    private static RgbImage numbered(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int p = 0; p < w * h; p++) {
            px[p * 3] = (byte) (p + 1);
            px[p * 3 + 1] = (byte) (p + 1);
            px[p * 3 + 2] = (byte) (p + 1);
        }
        return new RgbImage(w, h, px);
    }

    @Test
    void shortestEdgeTruncatesTheLongEdge() {
        assertThat(ImageGeometry.shortestEdgeResize(97, 61, 56)).isEqualTo(new ImageGeometry.Size(89, 56));
        assertThat(ImageGeometry.shortestEdgeResize(150, 203, 70)).isEqualTo(new ImageGeometry.Size(70, 94));
        assertThat(ImageGeometry.shortestEdgeResize(40, 40, 336)).isEqualTo(new ImageGeometry.Size(336, 336));
    }

    @Test
    void centerCropUsesFloorOffsets() {
        RgbImage image = numbered(5, 4);
        RgbImage crop = ImageGeometry.centerCrop(image, 2, 3);
        // left = (5 - 2) // 2 = 1, top = (4 - 3) // 2 = 0
        assertThat(crop.get(0, 0, 0)).isEqualTo(2);
        assertThat(crop.get(1, 2, 0)).isEqualTo(13);
    }

    @Test
    void centerCropOfASmallerImagePadsWithZeros() {
        RgbImage image = numbered(3, 2);
        RgbImage crop = ImageGeometry.centerCrop(image, 6, 5);
        assertThat(crop.width()).isEqualTo(6);
        assertThat(crop.height()).isEqualTo(5);
        // transformers centres the image at (ceil(3/2), ceil(3/2)) = (2, 2) on a zero canvas.
        assertThat(crop.get(1, 1, 0)).isZero();
        assertThat(crop.get(2, 2, 0)).isEqualTo(1);
        assertThat(crop.get(4, 3, 0)).isEqualTo(6);
        assertThat(crop.get(5, 4, 0)).isZero();
    }

    @Test
    void centerCropPadsOnlyTheShortSide() {
        RgbImage image = numbered(7, 2);
        RgbImage crop = ImageGeometry.centerCrop(image, 3, 4);
        // width: left = (7 - 3) // 2 = 2; height: padded by ceil(2/2) = 1 on top.
        assertThat(crop.get(0, 0, 0)).isZero();
        assertThat(crop.get(0, 1, 0)).isEqualTo(3);
        assertThat(crop.get(2, 2, 0)).isEqualTo(12);
        assertThat(crop.get(2, 3, 0)).isZero();
    }

    @Test
    void expandToSquareCentresWithFloorOffsets() {
        RgbImage square = ImageGeometry.expandToSquare(numbered(2, 5), new int[] {122, 116, 104});
        assertThat(square.width()).isEqualTo(5);
        assertThat(square.height()).isEqualTo(5);
        // pasted at ((5 - 2) // 2, 0) = (1, 0)
        assertThat(square.get(0, 0, 0)).isEqualTo(122);
        assertThat(square.get(0, 0, 2)).isEqualTo(104);
        assertThat(square.get(1, 0, 0)).isEqualTo(1);
        assertThat(square.get(2, 4, 0)).isEqualTo(10);
        assertThat(square.get(3, 4, 1)).isEqualTo(116);
    }

    @Test
    void backgroundIsTheTruncatedClipMean() {
        assertThat(ImageGeometry.backgroundFromMean(PreprocessorConfig.OPENAI_CLIP_MEAN)).containsExactly(122, 116, 104);
    }

    @Test
    void cropOutsideTheImageIsRejected() {
        assertThatThrownBy(() -> ImageGeometry.crop(numbered(3, 3), 2, 0, 2, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not fit");
    }
}
