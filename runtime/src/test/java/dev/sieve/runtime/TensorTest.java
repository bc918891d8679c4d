package dev.sieve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.kernels.WeightMatrix;
import dev.sieve.kernels.WeightType;
import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.SafetensorsWriter;
import dev.sieve.safetensors.TensorView;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorTest {
    /** [2, 3, 4] holding 0, 1, ..., 23: element (i, j, k) is 12i + 4j + k. */
    private static Tensor cube() {
        float[] data = new float[24];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        return Tensor.ofFloats(data, 2, 3, 4);
    }

    @Test
    void factoriesDescribeShapeAndStrides() {
        Tensor t = cube();
        assertThat(t.shape()).containsExactly(2, 3, 4);
        assertThat(t.strides()).containsExactly(12, 4, 1);
        assertThat(t.numel()).isEqualTo(24);
        assertThat(t.isContiguous()).isTrue();
        assertThat(t.getFloat(1, 2, 3)).isEqualTo(23f);
        assertThatThrownBy(() -> Tensor.ofFloats(new float[5], 2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]");
    }

    @Test
    void allocateIsZeroedAlignedAndWritable() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, DType.BF16, 3, 5);
            assertThat(t.segment().address() % 64).isZero();
            assertThat(t.toFloatArray()).containsOnly(0f);
            t.setFloat(1.5f, 2, 4);
            assertThat(t.getFloat(2, 4)).isEqualTo(1.5f);
            assertThat(t.arena()).isSameAs(arena);
            assertThat(t.row(0).arena()).isNull();
        }
    }

    @Test
    void sliceSelectAndTransposeReadTheRightElements() {
        Tensor t = cube();
        Tensor s = t.slice(1, 1, 3); // [2, 2, 4]
        assertThat(s.shape()).containsExactly(2, 2, 4);
        assertThat(s.getFloat(1, 0, 2)).isEqualTo(12 + 4 + 2);
        assertThat(s.isContiguous()).isFalse();

        Tensor r = t.row(1); // [3, 4]
        assertThat(r.shape()).containsExactly(3, 4);
        assertThat(r.getFloat(2, 1)).isEqualTo(12 + 8 + 1);
        assertThat(r.isContiguous()).isTrue();
        assertThat(t.select(2, 3).getFloat(1, 2)).isEqualTo(12 + 8 + 3);

        Tensor tr = r.transpose(0, 1); // [4, 3]
        assertThat(tr.shape()).containsExactly(4, 3);
        assertThat(tr.getFloat(1, 2)).isEqualTo(r.getFloat(2, 1));
        assertThat(tr.isContiguous()).isFalse();
        assertThat(tr.toFloatArray()).containsExactly(12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23);

        assertThat(t.slice(-1, 1, 2).toFloatArray()).containsExactly(1, 5, 9, 13, 17, 21);
        assertThatThrownBy(() -> t.slice(1, 2, 4)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("[2, 3, 4]");
        assertThatThrownBy(() -> t.getFloat(0, 3, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> t.getFloat(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void viewsShareMemory() {
        Tensor t = cube();
        t.row(1).transpose(0, 1).setFloat(-1f, 3, 0);
        assertThat(t.getFloat(1, 0, 3)).isEqualTo(-1f);
    }

    @Test
    void reshapeOnlyWhenContiguous() {
        Tensor t = cube();
        Tensor m = t.reshape(6, -1);
        assertThat(m.shape()).containsExactly(6, 4);
        assertThat(m.getFloat(5, 3)).isEqualTo(23f);
        assertThat(t.row(1).reshape(12).getFloat(11)).isEqualTo(23f);
        assertThatThrownBy(() -> t.transpose(0, 2).reshape(24)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("non-contiguous").hasMessageContaining("[4, 3, 2]");
        assertThatThrownBy(() -> t.reshape(5, 5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[5, 5]");
        assertThatThrownBy(() -> t.transpose(0, 1).segment()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void copyMakesAnyViewContiguous() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor tr = cube().transpose(0, 2);
            Tensor c = tr.copy(arena);
            assertThat(c.isContiguous()).isTrue();
            assertThat(c.toFloatArray()).containsExactly(tr.toFloatArray());
            assertThat(c.reshape(24).getFloat(1)).isEqualTo(12f);
        }
    }

    @Test
    void integerTensors() {
        Tensor ids = Tensor.ofLongs(new long[] {1, 32000, -5, 7}, 2, 2);
        assertThat(ids.getLong(0, 1)).isEqualTo(32000);
        assertThat(ids.transpose(0, 1).getLong(0, 1)).isEqualTo(-5);
        assertThatThrownBy(() -> ids.getFloat(0, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("I64");
        assertThatThrownBy(() -> cube().getLong(0, 0, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F32");
    }

    @Test
    void fromViewReadsEveryFloatTypeWithoutCopying(@TempDir Path dir) {
        float[] values = {1f, -2.5f, 0.125f, 3f, 65504f, -0f};
        Path file = SafetensorsWriter.to(dir.resolve("w.safetensors"))
                .addFloats("f32", DType.F32, new long[] {2, 3}, values)
                .addFloats("f16", DType.F16, new long[] {2, 3}, values)
                .addFloats("bf16", DType.BF16, new long[] {2, 3}, new float[] {1f, -2.5f, 0.125f, 3f, 65536f, -0f})
                .addLongs("ids", DType.I32, new long[] {3}, new long[] {4, -1, 9})
                .write();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(file)) {
            for (String name : new String[] {"f32", "f16", "bf16"}) {
                TensorView view = ckpt.tensor(name);
                Tensor t = Tensor.fromView(view);
                assertThat(t.dtype()).isEqualTo(view.dtype());
                assertThat(t.shape()).containsExactly(2, 3);
                assertThat(t.segment().address()).isEqualTo(view.data().address());
                assertThat(t.segment().byteSize()).isEqualTo(view.byteSize());
                assertThat(t.getFloat(0, 1)).isEqualTo(-2.5f);
                assertThat(t.getFloat(1, 0)).isEqualTo(3f);
                assertThat(t.transpose(0, 1).toFloatArray()).containsExactly(
                        view.getFloat(0), view.getFloat(3), view.getFloat(1), view.getFloat(4), view.getFloat(2), view.getFloat(5));
                assertThatThrownBy(() -> t.setFloat(1f, 0, 0)).isInstanceOf(UnsupportedOperationException.class);
            }
            Tensor ids = Tensor.fromView(ckpt.tensor("ids"));
            assertThat(ids.getLong(1)).isEqualTo(-1);
        }
    }

    @Test
    void asWeightMatrixRoundTrip(@TempDir Path dir) {
        float[] w = new float[4 * 6];
        for (int i = 0; i < w.length; i++) {
            w[i] = i * 0.5f - 3f; // exact in F16 and BF16
        }
        Path file = SafetensorsWriter.to(dir.resolve("w.safetensors"))
                .addFloats("f32", DType.F32, new long[] {4, 6}, w)
                .addFloats("f16", DType.F16, new long[] {4, 6}, w)
                .addFloats("bf16", DType.BF16, new long[] {4, 6}, w)
                .write();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(file)) {
            for (String name : new String[] {"f32", "f16", "bf16"}) {
                Tensor t = Tensor.fromView(ckpt.tensor(name));
                WeightMatrix m = t.asWeightMatrix();
                assertThat(m.type()).isEqualTo(WeightType.valueOf(name.toUpperCase(java.util.Locale.ROOT)));
                assertThat(m.rows()).isEqualTo(4);
                assertThat(m.cols()).isEqualTo(6);
                assertThat(m.data().address()).isEqualTo(t.segment().address());
                for (int r = 0; r < 4; r++) {
                    for (int c = 0; c < 6; c++) {
                        assertThat(m.get(r, c)).isEqualTo(t.getFloat(r, c)).isEqualTo(w[r * 6 + c]);
                    }
                }
                // Rows 1..3, columns 0..3: a strided but row-contiguous view.
                WeightMatrix sub = t.slice(0, 1, 4).slice(1, 0, 4).asWeightMatrix();
                assertThat(sub.rowStride()).isEqualTo(6);
                assertThat(sub.get(2, 3)).isEqualTo(w[3 * 6 + 3]);
                assertThatThrownBy(() -> t.transpose(0, 1).asWeightMatrix()).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("contiguous rows");
            }
        }
        assertThatThrownBy(() -> cube().asWeightMatrix()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2-D");
        assertThatThrownBy(() -> Tensor.ofLongs(new long[4], 2, 2).asWeightMatrix()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("I64");
    }
}
