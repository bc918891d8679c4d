package dev.sieve.cli;

import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.SieveRequest;
import dev.sieve.viz.KeptPatches;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sieve prune-viz}: the image with the patches each pruning stage kept highlighted. */
@Command(name = "prune-viz", mixinStandardHelpOptions = true, description = "Draw the patches each pruning stage keeps (PNG).")
final class PruneVizCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "llava-hf checkpoint directory")
    Path model;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "PNG or JPEG")
    Path image;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the question (instruction-guided methods depend on it)")
    String prompt;

    @Option(names = "--prune", required = true, paramLabel = "SPEC", description = PruneOption.HELP)
    String prune;

    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "where to write the picture")
    Path out;

    @Option(names = "--pad-to-square", description = "pad the image to a square with the mean colour first")
    boolean padToSquare;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PruneOption option = new PruneOption(prune);
        option.resolve(dev.sieve.llava.LlavaConfig.load(model), model);
        try (Sieve sieve = Sieve.open(model, SieveOptions.defaults().withPadToSquare(padToSquare))) {
            SieveImage.Prepared pixels = sieve.prepare(SieveImage.of(image));
            SieveAnswer a = sieve.ask(SieveRequest.of(pixels, prompt).withPrune(prune).withMaxTokens(16));
            int grid = (int) Math.round(Math.sqrt(sieve.info().visualTokensPerImage()));
            try {
                KeptPatches.write(KeptPatches.render(sieve.seen(pixels), grid,
                        a.keptPatches().stream().map(s -> new KeptPatches.Panel(s.stage(), s.kept())).toList()), out);
            } catch (java.io.IOException e) {
                throw new UserInputException(out + ": cannot write: " + e.getMessage());
            }
            spec.commandLine().getOut().printf("answer: %s%nvisual tokens %d -> %d (%s); picture: %s%n", a.text(),
                    a.usage().visualTokensTotal(), a.usage().visualTokensKept(), prune, out);
        }
        return Main.EXIT_OK;
    }
}
