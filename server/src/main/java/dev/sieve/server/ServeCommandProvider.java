package dev.sieve.server;

import dev.sieve.cli.SubcommandProvider;

/** Adds {@code sieve serve} to the command line when this module is on the class path. */
public final class ServeCommandProvider implements SubcommandProvider {
    @Override
    public Object subcommand() {
        return new ServeCommand();
    }

    /** And {@code sieve load}, the load generator that measures a running server. */
    public static final class Load implements SubcommandProvider {
        @Override
        public Object subcommand() {
            return new LoadCommand();
        }
    }
}
