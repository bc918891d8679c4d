package dev.sieve.kernels;

/** How a weight matrix is stored. */
public enum WeightType {
    /** 32-bit IEEE floats. */
    F32,
    /** IEEE binary16, widened exactly to float while packing. */
    F16,
    /** bfloat16 (the top half of a float), widened exactly. */
    BF16,
    /**
     * Blocks of 32 signed bytes along a row with one float scale per block (value = scale * q),
     * quantized at load time as llama.cpp's Q8_0 (scale = max|x| / 127, q = round(x / scale)).
     */
    Q8_0
}
