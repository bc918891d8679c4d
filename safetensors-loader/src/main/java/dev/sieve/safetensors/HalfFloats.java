package dev.sieve.safetensors;

/**
 * Conversions between float and the two 16-bit float formats of Hugging Face checkpoints.
 *
 * <p>Widening is exact for every one of the 65536 bit patterns of each format (subnormals,
 * signed zeros and infinities included; F16 NaNs keep their payload and come back quiet); the
 * tests compare {@link #f16ToFloat} bit for bit against {@link Float#float16ToFloat} for all of
 * them. Narrowing rounds to nearest, ties to
 * even, as PyTorch does.
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** IEEE 754 binary16 bits to float. */
    public static float f16ToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign | 0x7f80_0000); // infinity
            }
            // NaN: keep the payload and quiet it, as IEEE 754 conversion, the JDK and the
            // hardware (vcvtph2ps) all do.
            return Float.intBitsToFloat(sign | 0x7fc0_0000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact in float (mantissa < 2^10).
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // Normal: rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
    }

    /** bfloat16 bits to float: bfloat16 is the top half of a float, so this is exact. */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** float to IEEE 754 binary16 bits, round to nearest even (the JDK's conversion). */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    /** float to bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
