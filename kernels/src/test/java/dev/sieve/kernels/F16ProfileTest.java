package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class F16ProfileTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** +inf, -inf, a quiet and a signalling NaN of each sign, the largest NaN payload. */
    private static final short[] SPECIALS = {0x7c00, (short) 0xfc00, 0x7e00, 0x7c01, (short) 0xfe00, (short) 0xfc01, 0x7fff, (short) 0xffff};
    /** Zero-exponent halves and their neighbours: +-0, the smallest and largest subnormals, the smallest normals, the largest finite. */
    private static final short[] EDGES = {0, (short) 0x8000, 1, (short) 0x8001, 0x3ff, (short) 0x83ff, 0x400, (short) 0x8400, 0x7bff, (short) 0xfbff};

    @Test
    void theVectorScanFindsWhatTheScalarTwinFinds() {
        Random r = new Random(5);
        try (Arena arena = Arena.ofShared(); Parallel two = Parallel.create(2)) {
            for (int trial = 0; trial < 300; trial++) {
                int rows = 1 + r.nextInt(70);
                int cols = r.nextInt(300);
                int stride = cols + (r.nextBoolean() ? 0 : r.nextInt(9));
                // Per row, a chance of edges: from none to dense (which makes the row plain).
                MemorySegment data = arena.allocate(Math.max(2, 2L * rows * stride));
                for (int row = 0; row < rows; row++) {
                    int edgeOdds = 1 + r.nextInt(r.nextBoolean() ? 200 : 8);
                    for (int c = 0; c < stride; c++) {
                        short h = r.nextInt(edgeOdds) == 0 ? EDGES[r.nextInt(EDGES.length)] : Float.floatToFloat16((float) r.nextGaussian());
                        data.set(I16, 2L * (row * (long) stride + c), h);
                    }
                }
                if (rows * cols > 0 && r.nextInt(4) == 0) {
                    data.set(I16, 2L * (r.nextInt(rows) * (long) stride + r.nextInt(cols)), SPECIALS[r.nextInt(SPECIALS.length)]);
                }
                if (stride > cols && rows > 0 && r.nextBoolean()) {
                    // Beyond the row's columns: not part of the matrix, so not part of its profile.
                    data.set(I16, 2L * (r.nextInt(rows) * (long) stride + cols), SPECIALS[0]);
                }
                WeightMatrix w = new WeightMatrix(WeightType.F16, rows, cols, stride, data, null);
                F16Profile vector = F16Profile.scan(w, r.nextBoolean() ? two : Parallel.serial());
                F16Profile scalar = F16Profile.scanReference(w);
                assertThat(vector.sameAs(scalar)).as("trial %d: %d x %d, stride %d", trial, rows, cols, stride).isTrue();
            }
        }
    }

    @Test
    void aRowIsPlainOnlyPastOneZeroExponentInSixteen() {
        int cols = 64;
        MemorySegment data = MemorySegment.ofArray(new short[2 * cols]);
        for (int c = 0; c < 2 * cols; c++) {
            data.setAtIndex(ValueLayout.JAVA_SHORT, c, Float.floatToFloat16(1.5f));
        }
        // Row 0: four zero-exponent halves in 64 columns (listed); row 1: five (plain).
        for (int c : new int[] {3, 17, 40, 63}) {
            data.setAtIndex(ValueLayout.JAVA_SHORT, c, (short) 0x0001);
            data.setAtIndex(ValueLayout.JAVA_SHORT, cols + c, (short) 0x8000);
        }
        data.setAtIndex(ValueLayout.JAVA_SHORT, cols + 20, (short) 0);
        F16Profile p = F16Profile.scan(new WeightMatrix(WeightType.F16, 2, cols, cols, data, null), Parallel.serial());
        assertThat(p.plain(0)).isFalse();
        assertThat(new String(p.columns(0))).isEqualTo(new String(new char[] {3, 17, 40, 63}));
        assertThat(p.plain(1)).isTrue();
        assertThat(p.columns(1)).isEmpty();
        assertThat(p.finite()).isTrue();
    }

    /** For every half with a zero exponent field, pseudo is normal and pseudo - excess gives back the half's value exactly. */
    @Test
    void pseudoMinusExcessIsTheHalfForEveryZeroExponentHalf() {
        for (int m = 0; m < 1024; m++) {
            for (int sign : new int[] {0, 0x8000}) {
                short h = (short) (sign | m);
                float value = Float.float16ToFloat(h);
                float pseudo = F16Profile.pseudo(h);
                float excess = F16Profile.excess(h);
                assertThat(Math.abs(pseudo)).as("pseudo of %04x", h & 0xffff).isGreaterThanOrEqualTo(Float.MIN_NORMAL);
                assertThat((double) pseudo - (double) value).as("excess of %04x", h & 0xffff).isEqualTo((double) excess);
                assertThat(pseudo - excess).as("%04x", h & 0xffff).isEqualTo(value);
                assertThat(excess).isEqualTo((sign == 0 ? 1 : -1) * (1024 - m) * 0x1p-25f);
            }
        }
    }
}
