package dev.sieve.llava;

import static dev.sieve.llava.Buffers.seg;

import dev.sieve.kernels.WeightMatrix;
import dev.sieve.runtime.Ops;

/** LLaVA's multi-modal projector: linear_2(gelu(linear_1(x))), both with bias, exact erf GELU. */
final class Projector {
    private final WeightMatrix linear1;
    private final float[] bias1;
    private final WeightMatrix linear2;
    private final float[] bias2;
    private final int visionHidden;
    private final int textHidden;

    Projector(LlavaConfig config, Weights w) {
        visionHidden = config.vision().hiddenSize();
        textHidden = config.text().hiddenSize();
        linear1 = w.matrix("multi_modal_projector.linear_1.weight", textHidden, visionHidden);
        bias1 = w.vector("multi_modal_projector.linear_1.bias", textHidden);
        linear2 = w.matrix("multi_modal_projector.linear_2.weight", textHidden, textHidden);
        bias2 = w.vector("multi_modal_projector.linear_2.bias", textHidden);
    }

    /** rows x visionHidden (row stride visionHidden, starting at row {@code first}) -> rows x textHidden. */
    float[] project(float[] features, int first, int rows, Ops ops) {
        float[] hidden = new float[rows * textHidden];
        ops.matmul(Buffers.rows(features, first, visionHidden), rows, visionHidden, visionHidden, linear1, bias1, seg(hidden), textHidden);
        ops.geluErf(seg(hidden), seg(hidden), rows * textHidden);
        float[] out = new float[rows * textHidden];
        ops.matmul(seg(hidden), rows, textHidden, textHidden, linear2, bias2, seg(out), textHidden);
        return out;
    }
}
