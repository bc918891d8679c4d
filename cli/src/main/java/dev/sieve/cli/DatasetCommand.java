package dev.sieve.cli;

import dev.sieve.shapes.ShapesDataset;
import dev.sieve.shapes.ShapesGenerator;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sieve dataset shapes}: the synthetic VQA data the bundled demo model is trained and evaluated on. */
@Command(name = "dataset", mixinStandardHelpOptions = true, description = "Generate datasets.",
        subcommands = DatasetCommand.Shapes.class)
final class DatasetCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new UserInputException("a dataset name is required: shapes");
    }

    @Command(name = "shapes", mixinStandardHelpOptions = true,
            description = "Coloured shapes on plain or textured backgrounds with one-word questions (color, shape, position, count, exist, relative); PNGs + data.jsonl.")
    static final class Shapes implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory (images/ and data.jsonl)")
        Path out;

        @Option(names = "--count", paramLabel = "N", description = "number of images (default: ${DEFAULT-VALUE})")
        int count = 1000;

        @Option(names = "--seed", paramLabel = "S", description = "scene seed; use different seeds for train and test (default: ${DEFAULT-VALUE})")
        long seed = 1;

        @Option(names = "--questions-per-image", paramLabel = "Q", description = "questions of distinct kinds per image (default: ${DEFAULT-VALUE})")
        int perImage = 3;

        @Option(names = "--size", paramLabel = "PX", description = "image width and height (default: ${DEFAULT-VALUE})")
        int size = ShapesGenerator.DEFAULT_SIZE;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            OptionChecks.atLeast("--count", count, 1);
            OptionChecks.between("--questions-per-image", perImage, 1, 6);
            ShapesGenerator generator;
            try {
                generator = new ShapesGenerator(seed, size);
            } catch (IllegalArgumentException e) {
                throw new UserInputException("--size: " + e.getMessage());
            }
            try {
                int questions = ShapesDataset.write(out, generator, count, perImage);
                spec.commandLine().getOut().printf("wrote %d images and %d questions to %s%n", count, questions, out.resolve("data.jsonl"));
            } catch (UncheckedIOException e) {
                throw new UserInputException("cannot write " + e.getMessage());
            }
            return Main.EXIT_OK;
        }
    }
}
