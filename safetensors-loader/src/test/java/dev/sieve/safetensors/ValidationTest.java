package dev.sieve.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sieve.safetensors.SafetensorsException.Rule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One hand-crafted broken file per rule; each must fail with that rule, naming the file and the tensor. */
class ValidationTest {
    @TempDir
    Path dir;

    private SafetensorsException refuse(byte[] content) {
        Path file = HandMade.write(dir, "broken.safetensors", content);
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        assertThat(e).as("the loader must refuse this file").isNotNull();
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).startsWith(file.toString()).doesNotContain("\n");
        return e;
    }

    private void assertRule(SafetensorsException e, Rule rule, String tensor) {
        assertThat(e.rule()).as(e.getMessage()).isEqualTo(rule);
        if (tensor != null) {
            assertThat(e.tensor()).contains(tensor);
            assertThat(e.getMessage()).contains("tensor '" + tensor + "'");
        } else {
            assertThat(e.tensor()).isEmpty();
        }
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void fileShorterThanTheLengthPrefix() {
        assertRule(refuse(new byte[] {1, 0, 0}), Rule.HEADER_LENGTH, null);
    }

    @Test
    void headerLengthZero() {
        assertRule(refuse(HandMade.withLengthPrefix(0, "{}".getBytes(StandardCharsets.UTF_8))), Rule.HEADER_LENGTH, null);
    }

    @Test
    void headerLengthAboveTheLimit() {
        SafetensorsException e = refuse(HandMade.withLengthPrefix(100_000_001L, new byte[16]));
        assertRule(e, Rule.HEADER_LENGTH, null);
        assertThat(e.getMessage()).contains("100000001");
    }

    @Test
    void headerLengthWithTheTopBitSetIsHugeNotNegative() {
        SafetensorsException e = refuse(HandMade.withLengthPrefix(-1L, new byte[16]));
        assertRule(e, Rule.HEADER_LENGTH, null);
        assertThat(e.getMessage()).contains("18446744073709551615");
    }

    @Test
    void headerLengthBeyondTheEndOfTheFile() {
        assertRule(refuse(HandMade.withLengthPrefix(50, "{}".getBytes(StandardCharsets.UTF_8))), Rule.HEADER_LENGTH, null);
    }

    @Test
    void headerThatIsNotUtf8() {
        byte[] header = {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'};
        assertRule(refuse(HandMade.file(header, 0)), Rule.HEADER_ENCODING, null);
    }

    @Test
    void headerThatDoesNotStartWithABrace() {
        assertRule(refuse(HandMade.file(" {}", 0)), Rule.HEADER_JSON, null);
    }

    @Test
    void headerThatIsNotJson() {
        assertRule(refuse(HandMade.file("{\"a\": ", 0)), Rule.HEADER_JSON, null);
    }

    @Test
    void headerWithTrailingContent() {
        assertRule(refuse(HandMade.file("{} {}", 0)), Rule.HEADER_JSON, null);
    }

    @Test
    void headerWithDuplicateKeys() {
        String e = entry("w", "U8", "[1]", 0, 1);
        assertRule(refuse(HandMade.file("{" + e + "," + e + "}", 1)), Rule.HEADER_JSON, null);
    }

    @Test
    void entryWithoutDtype() {
        assertRule(refuse(HandMade.file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1)), Rule.ENTRY_FIELDS, "w");
    }

    @Test
    void entryWithoutShape() {
        assertRule(refuse(HandMade.file("{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1)), Rule.ENTRY_FIELDS, "w");
    }

    @Test
    void entryWithoutDataOffsets() {
        assertRule(refuse(HandMade.file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1)), Rule.ENTRY_FIELDS, "w");
    }

    @Test
    void entryThatIsNotAnObject() {
        assertRule(refuse(HandMade.file("{\"w\":[1,2]}", 0)), Rule.ENTRY_FIELDS, "w");
    }

    @Test
    void dataOffsetsWithThreeNumbers() {
        assertRule(refuse(HandMade.file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1)), Rule.ENTRY_FIELDS, "w");
    }

    @Test
    void shapeWithAFraction() {
        assertRule(refuse(HandMade.file("{" + entry("w", "U8", "[1.5]", 0, 1) + "}", 1)), Rule.ENTRY_FIELDS, "w");
    }

    @Test
    void unknownDtypeIsRefusedByName() {
        SafetensorsException e = refuse(HandMade.file("{" + entry("w", "F33", "[1]", 0, 4) + "}", 4));
        assertRule(e, Rule.UNKNOWN_DTYPE, "w");
        assertThat(e.getMessage()).contains("\"F33\"").contains("BF16");
    }

    @Test
    void dtypeNamesAreCaseSensitive() {
        assertRule(refuse(HandMade.file("{" + entry("w", "f32", "[1]", 0, 4) + "}", 4)), Rule.UNKNOWN_DTYPE, "w");
    }

    @Test
    void negativeShape() {
        assertRule(refuse(HandMade.file("{" + entry("w", "U8", "[-1]", 0, 0) + "}", 0)), Rule.NEGATIVE_SHAPE, "w");
    }

    @Test
    void elementCountOverflow() {
        String shape = "[4294967296,4294967296]"; // 2^64 elements
        assertRule(refuse(HandMade.file("{" + entry("w", "U8", shape, 0, 0) + "}", 0)), Rule.SIZE_OVERFLOW, "w");
    }

    @Test
    void byteSizeOverflow() {
        String shape = "[4611686018427387904]"; // 2^62 elements x 4 bytes = 2^64 bytes
        assertRule(refuse(HandMade.file("{" + entry("w", "F32", shape, 0, 0) + "}", 0)), Rule.SIZE_OVERFLOW, "w");
    }

    @Test
    void dimensionBeyondSixtyFourBits() {
        assertRule(refuse(HandMade.file("{" + entry("w", "U8", "[18446744073709551617]", 0, 0) + "}", 0)), Rule.SIZE_OVERFLOW, "w");
    }

    @Test
    void byteSizeThatDoesNotMatchTheShape() {
        SafetensorsException e = refuse(HandMade.file("{" + entry("w", "F32", "[2]", 0, 4) + "}", 4));
        assertRule(e, Rule.BYTE_SIZE_MISMATCH, "w");
        assertThat(e.getMessage()).contains("span 4 bytes").contains("need 8");
    }

    @Test
    void offsetsPastTheEndOfTheDataRegion() {
        assertRule(refuse(HandMade.file("{" + entry("w", "U8", "[8]", 0, 8) + "}", 4)), Rule.OFFSETS_OUT_OF_RANGE, "w");
    }

    @Test
    void offsetsThatRunBackwards() {
        assertRule(refuse(HandMade.file("{" + entry("w", "U8", "[0]", 3, 2) + "}", 4)), Rule.OFFSETS_OUT_OF_RANGE, "w");
    }

    @Test
    void negativeOffsets() {
        assertRule(refuse(HandMade.file("{" + entry("w", "U8", "[1]", -1, 0) + "}", 4)), Rule.OFFSETS_OUT_OF_RANGE, "w");
    }

    @Test
    void overlappingTensors() {
        String header = "{" + entry("a", "U8", "[4]", 0, 4) + "," + entry("b", "U8", "[4]", 2, 6) + "}";
        SafetensorsException e = refuse(HandMade.file(header, 6));
        assertRule(e, Rule.OVERLAP, "b");
        assertThat(e.getMessage()).contains("'a'");
    }

    @Test
    void aGapBetweenTensors() {
        String header = "{" + entry("a", "U8", "[2]", 0, 2) + "," + entry("b", "U8", "[2]", 4, 6) + "}";
        assertRule(refuse(HandMade.file(header, 6)), Rule.GAP, "b");
    }

    @Test
    void aGapBeforeTheFirstTensor() {
        assertRule(refuse(HandMade.file("{" + entry("a", "U8", "[2]", 2, 4) + "}", 4)), Rule.GAP, "a");
    }

    @Test
    void trailingBytesThatBelongToNoTensor() {
        SafetensorsException e = refuse(HandMade.file("{" + entry("a", "U8", "[2]", 0, 2) + "}", 5));
        assertRule(e, Rule.GAP, null);
        assertThat(e.getMessage()).contains("[2, 5)");
    }

    @Test
    void metadataWithANonStringValue() {
        assertRule(refuse(HandMade.file("{\"__metadata__\":{\"format\":1}}", 0)), Rule.METADATA, null);
    }

    @Test
    void metadataThatIsNotAnObject() {
        assertRule(refuse(HandMade.file("{\"__metadata__\":\"pt\"}", 0)), Rule.METADATA, null);
    }

    @Test
    void aMissingFile() {
        Path missing = dir.resolve("missing.safetensors");
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class, () -> SafetensorsFile.open(missing));
        assertThat(e.rule()).isEqualTo(Rule.NOT_FOUND);
        assertThat(e.getMessage()).contains("missing.safetensors");
    }

    @Test
    void aDirectoryIsNotAFile() {
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class, () -> SafetensorsFile.open(dir));
        assertThat(e.rule()).isEqualTo(Rule.IO);
    }

    @Test
    void theSameRulesAcceptAWellFormedHandMadeFile() {
        // Entries out of offset order, zero-sized tensors sharing an offset, unpadded header: all valid.
        String header = "{\"__metadata__\":{\"k\":\"v\"}," + entry("b", "U8", "[2]", 2, 4) + "," + entry("z", "F32", "[0]", 2, 2)
                + "," + entry("a", "I16", "[1]", 0, 2) + "," + entry("y", "U8", "[0,5]", 4, 4) + "}";
        Path file = HandMade.write(dir, "ok.safetensors", HandMade.file(header, 4));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.names()).containsExactly("a", "z", "b", "y");
            assertThat(f.metadata()).containsEntry("k", "v");
        }
    }
}
