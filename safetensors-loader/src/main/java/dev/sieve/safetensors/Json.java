package dev.sieve.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The strict JSON reader headers and index files are parsed with (one shared, thread-safe instance). */
final class Json {
    private Json() {}

    /**
     * Standard JSON only (no comments, NaN or single quotes), duplicate keys and trailing content
     * are errors: a header that two readers could understand differently is refused.
     */
    static final ObjectMapper STRICT = new ObjectMapper(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
}
