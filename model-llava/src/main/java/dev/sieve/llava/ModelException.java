package dev.sieve.llava;

/** A checkpoint, config or input the model cannot use; the message is one line naming what and where. */
public final class ModelException extends RuntimeException {
    public ModelException(String message) {
        super(message);
    }
}
