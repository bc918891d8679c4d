package dev.sieve.server;

import dev.sieve.cli.SubcommandProvider;

/** Adds {@code sieve serve} to the command line when this module is on the class path. */
public final class ServeCommandProvider implements SubcommandProvider {
    @Override
    public Object subcommand() {
        return new ServeCommand();
    }
}
