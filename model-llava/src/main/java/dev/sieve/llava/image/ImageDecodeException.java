package dev.sieve.llava.image;

/** An image file that could not be read or decoded; the message is one line naming the file. */
public final class ImageDecodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
