package dev.sieve.cli;

import dev.sieve.llava.SyntheticCheckpoint;
import dev.sieve.safetensors.DType;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sieve synth}: a random-weight llava-hf checkpoint with a real model's shapes, for smoke runs and benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a random-weight llava-hf checkpoint with real shapes (sharded safetensors + index, config, preprocessor config).")
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--shape", paramLabel = "NAME", description = "llava-1.5-7b or llava-1.5-13b (default: ${DEFAULT-VALUE})")
    String shape = "llava-1.5-7b";

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "checkpoint directory to write")
    Path out;

    @Option(names = "--text-layers", paramLabel = "N", description = "write only the first N decoder layers (same per-layer shapes; default: all)")
    Integer textLayers;

    @Option(names = "--dtype", paramLabel = "TYPE", description = "F16, BF16 or F32 (default: ${DEFAULT-VALUE})")
    String dtype = "F16";

    @Option(names = "--seed", description = "weight seed (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--lvpruning", description = "also write random LVPruning modules with the shape's dims into DIR/lvpruning"
            + " (after the first quarter's and the first half's last layers, keeping 1/2 then 1/10 of the visual tokens)")
    boolean lvpruning;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SyntheticCheckpoint.Shape s = switch (shape) {
            case "llava-1.5-7b" -> SyntheticCheckpoint.LLAVA_15_7B;
            case "llava-1.5-13b" -> SyntheticCheckpoint.LLAVA_15_13B;
            default -> throw new UserInputException("--shape must be llava-1.5-7b or llava-1.5-13b, got '" + shape + "'");
        };
        if (textLayers != null) {
            OptionChecks.between("--text-layers", textLayers, 1, s.textLayers());
            s = s.withTextLayers(textLayers);
        }
        DType type;
        try {
            type = DType.valueOf(dtype.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--dtype must be F16, BF16 or F32, got '" + dtype + "'");
        }
        long start = System.nanoTime();
        long bytes;
        try {
            bytes = SyntheticCheckpoint.write(out, s, type, seed);
            if (lvpruning) {
                SyntheticCheckpoint.writeLvPruning(out, s, seed);
            }
        } catch (IllegalArgumentException e) {
            throw new UserInputException((lvpruning && e.getMessage().contains("LVPruning") ? "--lvpruning: " : "--dtype: ") + e.getMessage());
        } catch (UncheckedIOException e) {
            throw new UserInputException("cannot write " + e.getMessage());
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, %d decoder layers, %s): %.2f GiB in %.1f s%n", out, shape,
                s.textLayers(), type, bytes / (double) (1L << 30), (System.nanoTime() - start) / 1e9);
        return Main.EXIT_OK;
    }
}
