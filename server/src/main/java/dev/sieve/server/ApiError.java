package dev.sieve.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.llava.api.SieveException;

/**
 * A request the server refuses, answered as OpenAI does: an HTTP status and
 * {@code {"error": {"message", "type", "param", "code"}}}, the message one line naming the field and the rule.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "invalid_value", message);
    }

    /** The facade's refusals: bad input 400, too large 413, closed 503; a cancelled request has no one to answer. */
    static ApiError of(SieveException e) {
        return switch (e.kind()) {
            case INVALID_REQUEST -> new ApiError(400, "invalid_request_error", e.param(),
                    "max_tokens".equals(e.param()) || "prompt".equals(e.param()) ? "context_length_exceeded" : "invalid_value", e.getMessage());
            case TOO_LARGE -> new ApiError(413, "invalid_request_error", e.param(), "too_large", e.getMessage());
            case INVALID_MODEL, UNAVAILABLE -> new ApiError(503, "server_error", e.param(), "unavailable", e.getMessage());
            case CANCELLED -> new ApiError(499, "invalid_request_error", null, "cancelled", e.getMessage());
        };
    }

    String body(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root.toString();
    }
}
