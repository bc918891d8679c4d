package dev.sieve.llava;

import dev.sieve.kernels.Parallel;
import dev.sieve.kernels.WeightConversion;
import dev.sieve.kernels.WeightMatrix;
import dev.sieve.kernels.WeightType;
import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.TensorView;
import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * Typed access to a checkpoint's tensors with the shape each one must have: matrices stay
 * zero-copy over the mapping (F32, F16, BF16) unless a load-time conversion or copy is asked for, small
 * vectors (norms, biases) are read into float[].
 * A missing tensor or a wrong shape is a {@link ModelException} naming the tensor.
 */
final class Weights {
    private final SafetensorsCheckpoint checkpoint;
    private final WeightType convertTo;
    private final boolean copy;
    private final Arena arena;
    private final Parallel parallel;
    private final LoadOptions.Progress progress;
    private final long bytesToConvert;
    private long bytesConverted;
    private long bytesRequested;
    /** Only counts what this load would convert or copy ({@link #counting}); every matrix stays a zero-copy view. */
    private boolean countOnly;

    /** Zero-copy views of the checkpoint's own types. */
    Weights(SafetensorsCheckpoint checkpoint) {
        this(checkpoint, null, false, null, null, LoadOptions.Progress.NONE, 0);
    }

    /**
     * Matrices converted to {@code convertTo} (when not null and not already that type) into
     * {@code arena} on {@code parallel}, and the others copied there too when {@code copy}; {@code
     * bytesToConvert} is the total reported to {@code progress}.
     */
    Weights(SafetensorsCheckpoint checkpoint, WeightType convertTo, boolean copy, Arena arena, Parallel parallel, LoadOptions.Progress progress,
            long bytesToConvert) {
        this.checkpoint = checkpoint;
        this.convertTo = convertTo;
        this.copy = copy;
        this.arena = arena;
        this.parallel = parallel;
        this.progress = progress;
        this.bytesToConvert = bytesToConvert;
    }

    /**
     * Zero-copy views that count the bytes a conversion to {@code target} (null: none) would convert,
     * and with {@code copies} also those it would copy ({@link #bytesToConvert}).
     */
    static Weights counting(SafetensorsCheckpoint checkpoint, WeightType target, boolean copies) {
        Weights w = new Weights(checkpoint, target, copies, null, null, LoadOptions.Progress.NONE, 0);
        w.countOnly = true;
        return w;
    }

    /** Bytes of the stored matrices asked for so far through {@link #matrix} that the counted load converts or copies. */
    long bytesToConvert() {
        return bytesRequested;
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
        WeightMatrix stored = WeightMatrix.dense(type, rows, cols, t.data());
        boolean converts = convertTo != null && convertTo != type;
        if (!converts && !copy) {
            return stored;
        }
        if (countOnly) {
            bytesRequested += t.data().byteSize();
            return stored;
        }
        WeightMatrix converted = converts ? WeightConversion.convert(stored, convertTo, arena, parallel) : WeightConversion.copy(stored, arena, parallel);
        bytesConverted += t.data().byteSize();
        progress.converted(bytesConverted, bytesToConvert);
        return converted;
    }

    /** As {@link #matrix}, never converted (tables that are looked up row by row, such as token embeddings). */
    WeightMatrix storedMatrix(String name, int rows, int cols) {
        return new Weights(checkpoint).matrix(name, rows, cols);
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
