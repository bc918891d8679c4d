package dev.sieve.cli;

/**
 * A command another module adds to {@code sieve} (found with {@link java.util.ServiceLoader}): {@code sieve serve}
 * lives in the server module, which depends on this one, so this module names no server library.
 */
public interface SubcommandProvider {
    /** A picocli {@code @Command} object. */
    Object subcommand();
}
