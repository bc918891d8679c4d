package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class F16ScanTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** +inf, -inf, a quiet and a signalling NaN of each sign, the largest NaN payload. */
    private static final short[] SPECIALS = {0x7c00, (short) 0xfc00, 0x7e00, 0x7c01, (short) 0xfe00, (short) 0xfc01, 0x7fff, (short) 0xffff};
    /** Finite halves next to the specials: the largest finite of each sign, zero, -0, the smallest subnormal. */
    private static final short[] EDGES = {0x7bff, (short) 0xfbff, 0, (short) 0x8000, 1, (short) 0x8001};

    @Test
    void findsAnInfinityOrNaNAnywhereAndNothingElse() {
        Random r = new Random(5);
        for (int trial = 0; trial < 400; trial++) {
            int halves = r.nextInt(200);
            boolean oddByte = r.nextBoolean();
            MemorySegment s = MemorySegment.ofArray(new byte[2 * halves + (oddByte ? 1 : 0)]);
            for (int i = 0; i < halves; i++) {
                short h = r.nextInt(4) == 0 ? EDGES[r.nextInt(EDGES.length)] : Float.floatToFloat16((float) r.nextGaussian());
                s.set(I16, 2L * i, h);
            }
            if (halves > 0 && r.nextBoolean()) {
                s.set(I16, 2L * r.nextInt(halves), SPECIALS[r.nextInt(SPECIALS.length)]);
            }
            if (oddByte) {
                s.set(ValueLayout.JAVA_BYTE, 2L * halves, (byte) 0xff);
            }
            assertThat(F16Scan.allFinite(s)).as("trial %d, %d halves", trial, halves).isEqualTo(F16Scan.allFiniteReference(s));
        }
    }
}
