package dev.sieve.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sieve.safetensors.SafetensorsException.Rule;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed and validated safetensors header: the tensor entries and {@code __metadata__}.
 *
 * <p>The checks follow the format's reference implementation (the Rust {@code safetensors}
 * crate): UTF-8, a JSON object that starts with '{', a dtype/shape/data_offsets triple per
 * tensor, byte sizes that match the shape, and tensors that tile the data region exactly, with no
 * overlap and no gap.
 */
record Header(Map<String, String> metadata, List<Entry> entries) {

    /** The reference implementation's bound on the header size. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    /** One tensor as the header declares it; offsets are relative to the start of the data region. */
    record Entry(String name, DType dtype, long[] shape, long elementCount, long begin, long end) {}

    static Header parse(Path file, byte[] headerBytes, long dataRegionBytes) {
        String text = decodeUtf8(file, headerBytes);
        if (!text.startsWith("{")) {
            throw new SafetensorsException(file, null, Rule.HEADER_JSON, "the header does not start with '{'");
        }
        JsonNode root;
        try {
            root = Json.STRICT.readTree(text);
        } catch (JacksonException e) {
            throw new SafetensorsException(file, null, Rule.HEADER_JSON, "the header is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(file, null, Rule.HEADER_JSON, "the header is not a JSON object");
        }
        Map<String, String> metadata = Map.of();
        List<Entry> entries = new ArrayList<>(root.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(file, field.getValue());
            } else {
                entries.add(parseEntry(file, field.getKey(), field.getValue(), dataRegionBytes));
            }
        }
        checkTiling(file, entries, dataRegionBytes);
        return new Header(metadata, Collections.unmodifiableList(entries));
    }

    private static String decodeUtf8(Path file, byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, null, Rule.HEADER_ENCODING, "the header holds bytes that are not UTF-8");
        }
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new SafetensorsException(file, null, Rule.METADATA, "__metadata__ is a JSON " + node.getNodeType().name().toLowerCase());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> kv = it.next();
            if (!kv.getValue().isTextual()) {
                throw new SafetensorsException(file, null, Rule.METADATA,
                        "__metadata__ key '" + kv.getKey() + "' holds a JSON " + kv.getValue().getNodeType().name().toLowerCase());
            }
            out.put(kv.getKey(), kv.getValue().textValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static Entry parseEntry(Path file, String name, JsonNode node, long dataRegionBytes) {
        if (!node.isObject()) {
            throw new SafetensorsException(file, name, Rule.ENTRY_FIELDS, "the entry is a JSON " + node.getNodeType().name().toLowerCase());
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || offsetsNode == null) {
            String missing = dtypeNode == null ? "dtype" : shapeNode == null ? "shape" : "data_offsets";
            throw new SafetensorsException(file, name, Rule.ENTRY_FIELDS, "the entry has no " + missing);
        }
        if (!dtypeNode.isTextual()) {
            throw new SafetensorsException(file, name, Rule.ENTRY_FIELDS, "dtype is not a string");
        }
        DType dtype = DType.fromHeaderName(dtypeNode.textValue()).orElseThrow(() -> new SafetensorsException(
                file, name, Rule.UNKNOWN_DTYPE, "dtype \"" + dtypeNode.textValue() + "\" is not supported"));

        if (!shapeNode.isArray()) {
            throw new SafetensorsException(file, name, Rule.ENTRY_FIELDS, "shape is not a list");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber()) {
                throw new SafetensorsException(file, name, Rule.ENTRY_FIELDS, "shape[" + i + "] = " + d + " is not an integer");
            }
            BigInteger big = d.bigIntegerValue();
            if (big.signum() < 0) {
                throw new SafetensorsException(file, name, Rule.NEGATIVE_SHAPE, "shape[" + i + "] = " + big);
            }
            if (big.bitLength() > 63) {
                throw new SafetensorsException(file, name, Rule.SIZE_OVERFLOW, "shape[" + i + "] = " + big);
            }
            shape[i] = big.longValue();
        }
        long byteSize;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            byteSize = Math.multiplyExact(elements, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, Rule.SIZE_OVERFLOW, "shape " + shapeNode + " of " + dtype);
        }

        if (!offsetsNode.isArray() || offsetsNode.size() != 2
                || !offsetsNode.get(0).isIntegralNumber() || !offsetsNode.get(1).isIntegralNumber()) {
            throw new SafetensorsException(file, name, Rule.ENTRY_FIELDS, "data_offsets " + offsetsNode + " is not [begin, end]");
        }
        BigInteger begin = offsetsNode.get(0).bigIntegerValue();
        BigInteger end = offsetsNode.get(1).bigIntegerValue();
        BigInteger limit = BigInteger.valueOf(dataRegionBytes);
        if (begin.signum() < 0 || begin.compareTo(end) > 0 || end.compareTo(limit) > 0) {
            throw new SafetensorsException(file, name, Rule.OFFSETS_OUT_OF_RANGE,
                    "data_offsets [" + begin + ", " + end + "] with a data region of " + dataRegionBytes + " bytes");
        }
        long b = begin.longValue();
        long e = end.longValue();
        if (e - b != byteSize) {
            throw new SafetensorsException(file, name, Rule.BYTE_SIZE_MISMATCH, "data_offsets span " + (e - b)
                    + " bytes but " + elements + " elements of " + dtype + " need " + byteSize);
        }
        return new Entry(name, dtype, shape, elements, b, e);
    }

    /** Tensors, taken in offset order, must follow one another exactly from 0 to the end of the data region. */
    private static void checkTiling(Path file, List<Entry> entries, long dataRegionBytes) {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin() < expected) {
                throw new SafetensorsException(file, e.name(), Rule.OVERLAP, "bytes [" + e.begin() + ", " + e.end()
                        + ") overlap tensor '" + previous.name() + "' at [" + previous.begin() + ", " + previous.end() + ")");
            }
            if (e.begin() > expected) {
                throw new SafetensorsException(file, e.name(), Rule.GAP,
                        "bytes [" + expected + ", " + e.begin() + ") before this tensor belong to no tensor");
            }
            expected = e.end();
            previous = e;
        }
        if (expected != dataRegionBytes) {
            throw new SafetensorsException(file, null, Rule.GAP, "bytes [" + expected + ", " + dataRegionBytes
                    + ") at the end of the data region belong to no tensor");
        }
    }
}
