package dev.sieve.kernels;

/**
 * Per-thread float buffers that only grow, so kernels reuse the same memory call after call
 * instead of allocating in hot paths. Each kernel uses its own slot numbers.
 */
final class Scratch {
    static final int GEMM_PACKED_ACTIVATIONS = 0;
    static final int GEMM_WEIGHT_BLOCK = 1;
    static final int GEMM_OUTPUT_BLOCK = 2;
    static final int GEMV_INPUT = 3;
    static final int GEMV_F16_CHUNK = 4;
    static final int GEMV_GROUP_OUTPUT = 5;
    static final int GEMV_LANES = 6;
    static final int GEMV_F16_SCALED_INPUT = 7;
    private static final int SLOTS = 8;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[SLOTS][0]);

    private Scratch() {}

    /** A buffer of at least {@code length} floats for this thread and slot; contents are left over from earlier use. */
    static float[] floats(int slot, int length) {
        float[][] mine = BUFFERS.get();
        if (mine[slot].length < length) {
            mine[slot] = new float[Math.max(length, mine[slot].length + mine[slot].length / 2)];
        }
        return mine[slot];
    }
}
