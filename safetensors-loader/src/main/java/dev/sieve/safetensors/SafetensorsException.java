package dev.sieve.safetensors;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The one exception the loader and writer throw for bad input. Its message names the file, the
 * tensor (when one is involved) and the rule that was broken, in one line, so that a command-line
 * tool can print it as it is.
 */
public final class SafetensorsException extends RuntimeException {

    /** The rules a file, an index or a request can break. */
    public enum Rule {
        IO("the file cannot be read"),
        HEADER_LENGTH("the 8-byte header length must be > 0, <= 100000000 and inside the file"),
        HEADER_ENCODING("the header must be valid UTF-8"),
        HEADER_JSON("the header must be one JSON object starting with '{' and without duplicate keys"),
        ENTRY_FIELDS("each tensor entry must be an object with dtype (string), shape (list of integers) and data_offsets ([begin, end])"),
        UNKNOWN_DTYPE("the dtype must be one of " + DType.acceptedNames()),
        NEGATIVE_SHAPE("shape dimensions must be non-negative integers"),
        SIZE_OVERFLOW("the element count times the dtype size must fit in 64 bits"),
        BYTE_SIZE_MISMATCH("data_offsets must span exactly elements x dtype size bytes"),
        OFFSETS_OUT_OF_RANGE("data_offsets must satisfy 0 <= begin <= end <= size of the data region"),
        OVERLAP("tensors must not overlap"),
        GAP("tensors must cover the data region without gaps"),
        METADATA("__metadata__ must map strings to strings"),
        INDEX_FORMAT("an index must be a JSON object whose weight_map maps tensor names to file names"),
        INDEX_PATH("an index must not point outside the checkpoint directory"),
        INDEX_MISMATCH("every tensor the index names must be in the shard it names, and in one shard only"),
        NOT_FOUND("the requested file or tensor must exist"),
        WRONG_DTYPE("the tensor's dtype does not support this read"),
        WRITE("the writer's input must be consistent");

        private final String description;

        Rule(String description) {
            this.description = description;
        }

        /** The rule in words, as it appears in messages. */
        public String description() {
            return description;
        }
    }

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;
    private final Rule rule;

    /**
     * @param file the file at fault (never null)
     * @param tensor the tensor at fault, or null when the fault is not about one tensor
     * @param rule the rule that was broken
     * @param detail what was found, e.g. "dtype is \"F33\""; may be null
     */
    public SafetensorsException(Path file, String tensor, Rule rule, String detail) {
        this(file, tensor, rule, detail, null);
    }

    public SafetensorsException(Path file, String tensor, Rule rule, String detail, Throwable cause) {
        super(format(file, tensor, rule, detail), cause);
        this.file = file;
        this.tensor = tensor;
        this.rule = rule;
    }

    private static String format(Path file, String tensor, Rule rule, String detail) {
        StringBuilder sb = new StringBuilder();
        sb.append(file);
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        sb.append(": ");
        if (detail != null && !detail.isEmpty()) {
            sb.append(detail).append(" (rule: ").append(rule.description()).append(')');
        } else {
            sb.append(rule.description());
        }
        // One line, whatever the detail held (a header can contain newlines).
        return sb.toString().replace('\n', ' ').replace('\r', ' ');
    }

    public Path file() {
        return file;
    }

    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }

    public Rule rule() {
        return rule;
    }
}
