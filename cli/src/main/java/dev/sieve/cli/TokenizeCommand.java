package dev.sieve.cli;

import dev.sieve.llava.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sieve tokenize}: token ids of a text, space-separated, to compare with SentencePiece. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Print the token ids of a text (space-separated).")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, paramLabel = "FILE|DIR", description = "a tokenizer.model, or a model directory")
    Path tokenizer;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "the text to encode")
    String text;

    @Option(names = "--bos", description = "prepend the beginning-of-sequence id")
    boolean bos;

    @Option(names = "--pieces", description = "print the pieces beside the ids")
    boolean pieces;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Tokenizer t = dev.sieve.llava.api.ModelDirectory.tokenizer(tokenizer);
        int[] ids = t.encode(text, bos);
        spec.commandLine().getOut().println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        if (pieces) {
            spec.commandLine().getOut().println(Arrays.stream(ids).mapToObj(t::idToPiece).collect(Collectors.joining(" ")));
        }
        return Main.EXIT_OK;
    }
}
