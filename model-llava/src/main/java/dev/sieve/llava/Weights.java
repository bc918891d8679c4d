package dev.sieve.llava;

import dev.sieve.kernels.WeightMatrix;
import dev.sieve.kernels.WeightType;
import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.TensorView;
import java.util.Arrays;

/**
 * Typed access to a checkpoint's tensors with the shape each one must have: matrices stay
 * zero-copy over the mapping (F32, F16, BF16), small vectors (norms, biases) are read into float[].
 * A missing tensor or a wrong shape is a {@link ModelException} naming the tensor.
 */
final class Weights {
    private final SafetensorsCheckpoint checkpoint;

    Weights(SafetensorsCheckpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    TensorView tensor(String name, long... shape) {
        TensorView t = checkpoint.find(name).orElseThrow(() -> new ModelException(
                checkpoint.source() + ": tensor '" + name + "' is missing (expected shape " + Arrays.toString(shape) + ")"));
        if (!Arrays.equals(t.shape(), shape)) {
            throw new ModelException(checkpoint.source() + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        if (!t.dtype().widensToFloat()) {
            throw new ModelException(checkpoint.source() + ": tensor '" + name + "' has dtype " + t.dtype() + ", expected a float type");
        }
        return t;
    }

    /** A [rows, cols] Linear weight, zero-copy (F64 is not a weight format Sieve multiplies with). */
    WeightMatrix matrix(String name, int rows, int cols) {
        TensorView t = tensor(name, rows, cols);
        WeightType type = switch (t.dtype()) {
            case F32 -> WeightType.F32;
            case F16 -> WeightType.F16;
            case BF16 -> WeightType.BF16;
            default -> throw new ModelException(checkpoint.source() + ": tensor '" + name + "' has dtype " + t.dtype()
                    + "; weights must be F32, F16 or BF16");
        };
        return WeightMatrix.dense(type, rows, cols, t.data());
    }

    /** A weight whose trailing dimensions are flattened into columns (e.g. a conv kernel [out, c, p, p]). */
    WeightMatrix flattened(String name, long... shape) {
        TensorView t = tensor(name, shape);
        long cols = t.elementCount() / shape[0];
        if (t.dtype() == DType.F64) {
            throw new ModelException(checkpoint.source() + ": tensor '" + name + "' is F64; weights must be F32, F16 or BF16");
        }
        WeightType type = t.dtype() == DType.F32 ? WeightType.F32 : t.dtype() == DType.F16 ? WeightType.F16 : WeightType.BF16;
        return WeightMatrix.dense(type, (int) shape[0], (int) cols, t.data());
    }

    float[] vector(String name, int length) {
        return tensor(name, length).toFloatArray();
    }

    float[] floats(String name, long... shape) {
        return tensor(name, shape).toFloatArray();
    }
}
