package dev.sieve.safetensors;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Element types of the safetensors format, spelled as in the file header.
 *
 * <p>All multi-byte values are little-endian. Sub-byte types that recent safetensors versions
 * know (F4, F6_*) are deliberately absent: a file using them is refused by name rather than
 * misread.
 */
public enum DType {
    F64(8, true),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    F8_E4M3(1, false),
    F8_E5M2(1, false),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U64(8, false),
    U32(4, false),
    U16(2, false),
    U8(1, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean widensToFloat;

    DType(int byteSize, boolean widensToFloat) {
        this.byteSize = byteSize;
        this.widensToFloat = widensToFloat;
    }

    /** Bytes per element; also the natural alignment the writer gives tensors of this type. */
    public int byteSize() {
        return byteSize;
    }

    /** True for the types {@link TensorView#getFloat(long)} reads: F64, F32, F16, BF16. */
    public boolean widensToFloat() {
        return widensToFloat;
    }

    /** True for the types {@link TensorView#getLong(long)} reads: every integer type and BOOL. */
    public boolean isIntegral() {
        return !widensToFloat && this != F8_E4M3 && this != F8_E5M2;
    }

    /** The dtype spelled {@code name} in a header (case-sensitive, as in the format), if known. */
    public static Optional<DType> fromHeaderName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The accepted names, for error messages. */
    public static String acceptedNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
