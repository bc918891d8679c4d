package dev.sieve.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    @Test
    void f16WideningMatchesTheJdkForAll65536BitPatterns() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            int ours = Float.floatToRawIntBits(HalfFloats.f16ToFloat(h));
            int jdk = Float.floatToRawIntBits(Float.float16ToFloat(h));
            if (ours != jdk) {
                throw new AssertionError(String.format("f16 0x%04x: ours 0x%08x, JDK 0x%08x", bits, ours, jdk));
            }
        }
    }

    @Test
    void f16SpecialValues() {
        assertThat(HalfFloats.f16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f); // smallest subnormal
        assertThat(HalfFloats.f16ToFloat((short) 0x03ff)).isEqualTo(1023 * 0x1p-24f); // largest subnormal
        assertThat(HalfFloats.f16ToFloat((short) 0x0400)).isEqualTo(0x1p-14f); // smallest normal
        assertThat(HalfFloats.f16ToFloat((short) 0x7bff)).isEqualTo(65504f);
        assertThat(HalfFloats.f16ToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(HalfFloats.f16ToFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(HalfFloats.f16ToFloat((short) 0x7e00)).isNaN();
        assertThat(Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) 0x8000))).isEqualTo(0x8000_0000); // -0
        assertThat(HalfFloats.f16ToFloat((short) 0x3c00)).isEqualTo(1f);
        assertThat(HalfFloats.f16ToFloat((short) 0xc000)).isEqualTo(-2f);
    }

    @Test
    void bf16WideningIsTheTopHalfOfAFloatForAllBitPatterns() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfFloats.bf16ToFloat((short) bits);
            assertThat(Float.floatToRawIntBits(f)).isEqualTo(bits << 16);
        }
        assertThat(HalfFloats.bf16ToFloat((short) 0x0001)).isEqualTo(Float.intBitsToFloat(0x0001_0000)); // subnormal
        assertThat(HalfFloats.bf16ToFloat((short) 0x7f80)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(HalfFloats.bf16ToFloat((short) 0xffc0)).isNaN();
    }

    @Test
    void narrowingRoundTripsEveryNonNanPattern() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float bf = HalfFloats.bf16ToFloat((short) bits);
            float f16 = HalfFloats.f16ToFloat((short) bits);
            if (!Float.isNaN(bf)) {
                assertThat(HalfFloats.floatToBf16(bf) & 0xffff).isEqualTo(bits);
            }
            if (!Float.isNaN(f16)) {
                assertThat(HalfFloats.floatToF16(f16) & 0xffff).isEqualTo(bits);
            }
        }
    }

    @Test
    void bf16NarrowingRoundsToNearestEven() {
        // 1 + 2^-8 lies exactly between bf16 1.0 (0x3f80) and the next value (0x3f81): ties go to even.
        assertThat(HalfFloats.floatToBf16(1f + 0x1p-8f) & 0xffff).isEqualTo(0x3f80);
        // 1 + 3*2^-8 lies between 0x3f81 and 0x3f82: ties to the even 0x3f82.
        assertThat(HalfFloats.floatToBf16(1f + 3 * 0x1p-8f) & 0xffff).isEqualTo(0x3f82);
        // Just above the tie rounds up.
        assertThat(HalfFloats.floatToBf16(Math.nextUp(1f + 0x1p-8f)) & 0xffff).isEqualTo(0x3f81);
        assertThat(HalfFloats.floatToBf16(Float.MAX_VALUE) & 0xffff).isEqualTo(0x7f80); // overflows to +inf
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))).isNaN();
    }
}
