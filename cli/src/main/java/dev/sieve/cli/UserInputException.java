package dev.sieve.cli;

/** Bad input found by a command (a missing file, a bad option combination); printed as one line, exit code 2. */
public final class UserInputException extends RuntimeException {
    public UserInputException(String message) {
        super(message);
    }
}
