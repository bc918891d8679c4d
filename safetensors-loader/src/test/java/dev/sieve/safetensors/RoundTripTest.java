package dev.sieve.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RoundTripTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDtypeRoundTripsItsBytesShapeAndValues(DType dtype) {
        long[] shape = {3, 5, 7};
        byte[] bytes = new byte[3 * 5 * 7 * dtype.byteSize()];
        new Random(dtype.ordinal()).nextBytes(bytes);
        if (dtype == DType.BOOL) {
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] &= 1;
            }
        }
        Path file = SafetensorsWriter.to(dir.resolve("t.safetensors"))
                .metadata("format", "pt")
                .add("x", dtype, shape, bytes)
                .write();

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorView t = f.tensor("x");
            assertThat(t.dtype()).isEqualTo(dtype);
            assertThat(t.shape()).containsExactly(shape);
            assertThat(t.elementCount()).isEqualTo(105);
            assertThat(t.byteSize()).isEqualTo(bytes.length);
            assertThat(t.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(bytes);
            assertThat(f.metadata()).containsEntry("format", "pt");
            ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 105; i++) {
                switch (dtype) {
                    case F64 -> assertThat(t.getFloat(i)).isEqualTo((float) le.getDouble(i * 8));
                    case F32 -> assertThat(Float.floatToRawIntBits(t.getFloat(i))).isEqualTo(le.getInt(i * 4));
                    case F16 -> assertThat(Float.floatToRawIntBits(t.getFloat(i)))
                            .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat(le.getShort(i * 2))));
                    case BF16 -> assertThat(Float.floatToRawIntBits(t.getFloat(i))).isEqualTo((le.getShort(i * 2) & 0xffff) << 16);
                    case I64, U64 -> assertThat(t.getLong(i)).isEqualTo(le.getLong(i * 8));
                    case I32 -> assertThat(t.getLong(i)).isEqualTo(le.getInt(i * 4));
                    case U32 -> assertThat(t.getLong(i)).isEqualTo(le.getInt(i * 4) & 0xffff_ffffL);
                    case I16 -> assertThat(t.getLong(i)).isEqualTo(le.getShort(i * 2));
                    case U16 -> assertThat(t.getLong(i)).isEqualTo(le.getShort(i * 2) & 0xffffL);
                    case I8 -> assertThat(t.getLong(i)).isEqualTo(bytes[i]);
                    case U8, BOOL -> assertThat(t.getLong(i)).isEqualTo(bytes[i] & 0xffL);
                    case F8_E4M3, F8_E5M2 -> assertThatThrownBy(() -> t.getLong(0)).isInstanceOf(SafetensorsException.class);
                }
            }
        }
    }

    @Test
    void floatHelpersConvertAndEveryTensorIsNaturallyAligned() {
        float[] values = {1f, -2.5f, 0.1f, 65504f, 1e-7f, Float.POSITIVE_INFINITY};
        SafetensorsWriter w = SafetensorsWriter.to(dir.resolve("mixed.safetensors"));
        w.addLongs("ids", DType.I64, new long[] {3}, new long[] {1, -2, Long.MAX_VALUE});
        w.addFloats("h", DType.F16, new long[] {2, 3}, values);
        w.addLongs("mask", DType.BOOL, new long[] {5}, new long[] {1, 0, 1, 1, 0});
        w.addFloats("b", DType.BF16, new long[] {6}, values);
        w.addFloats("f", DType.F32, new long[] {6}, values);
        w.addFloats("d", DType.F64, new long[] {6}, values);
        w.addLongs("u8", DType.U8, new long[] {1}, new long[] {255});
        Path file = w.write();

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat((8 + f.headerBytes()) % 8).as("data region starts 8-byte aligned").isZero();
            for (TensorView t : f.tensors()) {
                assertThat(t.fileOffset() % t.dtype().byteSize()).as(t.name()).isZero();
            }
            assertThat(f.tensor("f").toFloatArray()).containsExactly(values);
            assertThat(f.tensor("d").toFloatArray()).containsExactly(values);
            for (int i = 0; i < values.length; i++) {
                assertThat(f.tensor("h").getFloat(i)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(values[i])));
                assertThat(f.tensor("b").getFloat(i)).isEqualTo(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i])));
            }
            assertThat(f.tensor("ids").toLongArray()).containsExactly(1, -2, Long.MAX_VALUE);
            assertThat(f.tensor("mask").toLongArray()).containsExactly(1, 0, 1, 1, 0);
            assertThat(f.tensor("u8").getLong(0)).isEqualTo(255);
            assertThat(f.tensor("h").dim(-1)).isEqualTo(3);
        }
    }

    @Test
    void scalarsEmptyTensorsAndEmptyFilesAreValid() {
        Path file = SafetensorsWriter.to(dir.resolve("edge.safetensors"))
                .addFloats("scalar", DType.F32, new long[] {}, new float[] {42f})
                .add("empty", DType.F16, new long[] {0, 4}, new byte[0])
                .add("also_empty", DType.I8, new long[] {4, 0}, new byte[0])
                .write();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensor("scalar").rank()).isZero();
            assertThat(f.tensor("scalar").getFloat(0)).isEqualTo(42f);
            assertThat(f.tensor("empty").elementCount()).isZero();
            assertThat(f.tensor("empty").toFloatArray()).isEmpty();
        }
        Path nothing = SafetensorsWriter.to(dir.resolve("nothing.safetensors")).write();
        try (SafetensorsFile f = SafetensorsFile.open(nothing)) {
            assertThat(f.tensors()).isEmpty();
            assertThat(f.metadata()).isEmpty();
        }
    }

    @Test
    void writerRefusesInconsistentInputAndLeavesNoFileBehind() {
        Path target = dir.resolve("bad.safetensors");
        SafetensorsWriter w = SafetensorsWriter.to(target).add("a", DType.F32, new long[] {2}, new byte[8]);
        assertThatThrownBy(() -> w.add("a", DType.F32, new long[] {2}, new byte[8]))
                .isInstanceOf(SafetensorsException.class).hasMessageContaining("'a'").hasMessageContaining("added twice");
        assertThatThrownBy(() -> w.add("b", DType.F32, new long[] {3}, new byte[8]))
                .isInstanceOf(SafetensorsException.class).hasMessageContaining("8 bytes given for 3 elements of F32");
        assertThatThrownBy(() -> w.add("__metadata__", DType.U8, new long[] {1}, new byte[1]))
                .isInstanceOf(SafetensorsException.class).hasMessageContaining("reserved");
        assertThatThrownBy(() -> w.add("c", DType.U8, new long[] {-1}, new byte[0]))
                .isInstanceOf(SafetensorsException.class).hasMessageContaining("negative");
        assertThat(target).doesNotExist();
    }

    @Test
    void readsAfterCloseFailInsteadOfTouchingUnmappedMemory() {
        Path file = SafetensorsWriter.to(dir.resolve("c.safetensors")).addFloats("x", DType.F32, new long[] {1}, new float[] {1}).write();
        TensorView t;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            t = f.tensor("x");
            assertThat(t.getFloat(0)).isEqualTo(1f);
        }
        assertThatThrownBy(() -> t.getFloat(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rewritingReplacesTheFileAtomically() throws Exception {
        Path target = dir.resolve("r.safetensors");
        SafetensorsWriter.to(target).addFloats("x", DType.F32, new long[] {1}, new float[] {1}).write();
        SafetensorsWriter.to(target).addFloats("y", DType.F32, new long[] {2}, new float[] {2, 3}).write();
        try (SafetensorsFile f = SafetensorsFile.open(target)) {
            assertThat(f.names()).containsExactly("y");
        }
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("r.safetensors");
        }
    }
}
