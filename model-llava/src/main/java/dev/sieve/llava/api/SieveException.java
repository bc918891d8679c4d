package dev.sieve.llava.api;

/**
 * Why the facade refused or could not finish a request. The message is one line naming the field and the rule
 * broken (never a stack trace for bad input); {@link #param()} names the request field at fault, as OpenAI's
 * error bodies do, and {@link #kind()} tells a server which status to answer.
 */
public final class SieveException extends RuntimeException {
    /** What went wrong, from the caller's side. */
    public enum Kind {
        /** The request is wrong: a bad field, image, prune spec or a prompt beyond the context (HTTP 400). */
        INVALID_REQUEST,
        /** The image is larger than the limits allow (HTTP 413). */
        TOO_LARGE,
        /** The model directory cannot be used (missing files, unsupported config). */
        INVALID_MODEL,
        /** The caller cancelled the request (a client that went away). */
        CANCELLED,
        /** The facade is closed or its queue is full (HTTP 503 / 429). */
        UNAVAILABLE
    }

    private final Kind kind;
    private final String param;

    public SieveException(Kind kind, String param, String message) {
        super(message);
        this.kind = kind;
        this.param = param;
    }

    static SieveException invalid(String param, String message) {
        return new SieveException(Kind.INVALID_REQUEST, param, message);
    }

    public Kind kind() {
        return kind;
    }

    /** The request field at fault ({@code image}, {@code prompt}, {@code prune}, {@code max_tokens}, ...), or null. */
    public String param() {
        return param;
    }
}
