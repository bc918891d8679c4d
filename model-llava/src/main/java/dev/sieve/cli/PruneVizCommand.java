package dev.sieve.cli;

import dev.sieve.llava.Llava;
import dev.sieve.llava.image.PixelValues;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
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
        try (Answerer answerer = Answerer.open(model, padToSquare); ExecutionContext ctx = ExecutionContext.create()) {
            dev.sieve.pruning.PrunePlan plan = option.resolve(answerer.config(), model);
            PixelValues pixels = answerer.pixels(image);
            Answerer.Answer a = answerer.ask(pixels, prompt, plan, new Ops(ctx), 16);
            answerer.drawKeptPatches(pixels, Cuts.of(a.generation()).stream().map(c -> new KeptPatches.Panel(c.name(), c.cut().kept())).toList(), out);
            spec.commandLine().getOut().printf("answer: %s%nvisual tokens %d -> %d (%s); picture: %s%n", a.text(),
                    answerer.config().vision().patches(), a.visualTokens(), prune, out);
        }
        return Main.EXIT_OK;
    }
}
