package dev.sieve.cli;

import dev.sieve.kernels.KernelSettings;
import dev.sieve.llava.ModelException;
import dev.sieve.llava.image.ImageDecodeException;
import dev.sieve.safetensors.SafetensorsException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code sieve} command line. Exit codes: 0 success, 2 bad input (one line on stderr, no
 * stack trace), 1 an internal error (a bug: one line, and the stack trace when SIEVE_DEBUG is set).
 */
@Command(name = "sieve",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Pure-Java LLaVA runtime with in-loop visual token pruning.",
        subcommands = {InspectCommand.class, RunCommand.class, ForwardCommand.class, TokenizeCommand.class, BenchCommand.class, DatasetCommand.class, EvalCommand.class, DemoCommand.class, PruneVizCommand.class, SynthCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_INTERNAL = 1;
    public static final int EXIT_BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: " + String.join(", ",
                spec.subcommands().keySet()));
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line, printing to {@code out} and {@code err}; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        PrintWriter outWriter = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter errWriter = new PrintWriter(err, true, StandardCharsets.UTF_8);
        try {
            KernelSettings.check();  // a bad -Dsieve.* value: one line now, not an error deep in a kernel's class initializer
        } catch (IllegalArgumentException e) {
            errWriter.println("sieve: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
        CommandLine cli = new CommandLine(new Main());
        for (SubcommandProvider provider : java.util.ServiceLoader.load(SubcommandProvider.class)) {
            cli.addSubcommand(provider.subcommand());
        }
        cli.setOut(outWriter);
        cli.setErr(errWriter);
        cli.setParameterExceptionHandler((ex, badArgs) -> {
            errWriter.println(qualifiedName(ex.getCommandLine()) + ": " + ex.getMessage()
                    + " (see: " + qualifiedName(ex.getCommandLine()) + " --help)");
            return EXIT_BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String command = qualifiedName(commandLine);
            if (ex instanceof SafetensorsException || ex instanceof UserInputException || ex instanceof ModelException
                    || ex instanceof ImageDecodeException || ex instanceof dev.sieve.llava.api.SieveException) {
                errWriter.println(command + ": " + ex.getMessage());
                return EXIT_BAD_INPUT;
            }
            errWriter.println(command + ": internal error: " + ex + (System.getenv("SIEVE_DEBUG") == null
                    ? " (set SIEVE_DEBUG=1 for the stack trace; please report it)" : ""));
            if (System.getenv("SIEVE_DEBUG") != null) {
                ex.printStackTrace(errWriter);
            }
            return EXIT_INTERNAL;
        });
        int code = cli.execute(args);
        outWriter.flush();
        errWriter.flush();
        return code;
    }

    private static String qualifiedName(CommandLine commandLine) {
        return commandLine.getCommandSpec().qualifiedName(" ");
    }

    /** Reports the version baked into the jar by Maven (or "dev" when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"sieve " + (v == null ? "dev" : v) + " on Java " + Runtime.version()};
        }
    }
}
