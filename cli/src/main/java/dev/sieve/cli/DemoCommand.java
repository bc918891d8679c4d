package dev.sieve.cli;

import dev.sieve.eval.EvalQuestion;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.SieveRequest;
import dev.sieve.viz.KeptPatches;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sieve demo}: the bundled shapes model answers the bundled questions unpruned and with
 * VisPruner and FastV at a small budget, and draws the patches each kept.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Answer a few questions about bundled images with and without pruning (bundled model, no arguments needed).")
final class DemoCommand implements Callable<Integer> {
    /** The configurations shown: unpruned, then an instruction-agnostic and an instruction-guided method at 16 of 144 tokens. */
    static final List<String> CONFIGS = List.of("none", "vispruner:keep=16", "fastv:k=2,keep=16");

    @Option(names = "--model", paramLabel = "DIR", description = "llava-hf checkpoint with samples/questions.jsonl (default: the bundled models/shapes-llava)")
    Path model;

    @Option(names = "--out", paramLabel = "DIR", description = "where the kept-patches pictures go (default: ${DEFAULT-VALUE})")
    Path out = Path.of(System.getProperty("java.io.tmpdir"), "sieve-demo");

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Spec
    CommandSpec spec;

    /** A greedy answer of at most 8 tokens, as the demo's one-word answers need. */
    private static SieveRequest question(SieveImage image, String question, String prune) {
        return SieveRequest.of(image, question).withPrune(prune).withMaxTokens(8);
    }

    static Path bundledModel() {
        return Path.of(System.getProperty("sieve.home", ".")).resolve("models").resolve("shapes-llava");
    }

    @Override
    public Integer call() {
        Path dir = model != null ? model : bundledModel();
        Path samples = dir.resolve("samples").resolve("questions.jsonl");
        if (!Files.isRegularFile(samples)) {
            throw new UserInputException(dir + ": no samples/questions.jsonl (the demo needs a model directory with bundled samples)");
        }
        List<EvalQuestion> questions;
        try {
            questions = EvalQuestion.read(samples, 0);
            Files.createDirectories(out);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new UserInputException(e.getMessage());
        } catch (IOException e) {
            throw new UserInputException("--out " + out + ": cannot create: " + e.getMessage());
        }
        PrintWriter o = spec.commandLine().getOut();
        long start = System.nanoTime();
        try (Sieve sieve = Sieve.open(dir, SieveOptions.defaults().withThreads(threads == null ? 0 : threads))) {
            CONFIGS.forEach(sieve::checkPrune);
            int patches = sieve.info().visualTokensPerImage();
            int grid = (int) Math.round(Math.sqrt(patches));
            o.printf("model %s (%d visual tokens per image), loaded in %.0f ms%n", dir, patches, (System.nanoTime() - start) / 1e6);
            // One unrecorded pass so the timings below are not the JIT's first compilations.
            SieveImage.Prepared warm = sieve.prepare(SieveImage.of(questions.get(0).image()));
            CONFIGS.forEach(c -> sieve.ask(question(warm, questions.get(0).question(), c)));

            int[] right = new int[CONFIGS.size()];
            long[] nanos = new long[CONFIGS.size()];
            for (int n = 0; n < questions.size(); n++) {
                EvalQuestion q = questions.get(n);
                SieveImage.Prepared px = sieve.prepare(SieveImage.of(q.image()));
                o.printf("%n[%d] %s  %s%n    expected: %s%n", n + 1, q.image().getFileName(), q.question(), q.answer());
                List<KeptPatches.Panel> panels = new ArrayList<>();
                for (int c = 0; c < CONFIGS.size(); c++) {
                    long t0 = System.nanoTime();
                    SieveAnswer a = sieve.ask(question(px, q.question(), CONFIGS.get(c)));
                    long t = System.nanoTime() - t0;
                    nanos[c] += t;
                    boolean ok = q.matches(a.text());
                    right[c] += ok ? 1 : 0;
                    o.printf(Locale.ROOT, "    %-20s %-10s %s  %3d/%d tokens  %6.1f ms%n", CONFIGS.get(c), a.text(), ok ? "right" : "WRONG",
                            a.usage().visualTokensKept(), patches, t / 1e6);
                    for (SieveAnswer.KeptPatches s : a.keptPatches()) {
                        panels.add(new KeptPatches.Panel(CONFIGS.get(c).split(":")[0], s.kept()));
                    }
                }
                Path png = out.resolve(String.format("%02d-kept-patches.png", n + 1));
                try {
                    KeptPatches.write(KeptPatches.render(sieve.seen(px), grid, panels), png);
                } catch (IOException e) {
                    throw new UserInputException(png + ": cannot write: " + e.getMessage());
                }
                o.println("    kept patches: " + png);
            }
            o.println();
            for (int c = 0; c < CONFIGS.size(); c++) {
                o.printf(Locale.ROOT, "%-20s %d/%d right, %.1f ms per question%n", CONFIGS.get(c), right[c], questions.size(),
                        nanos[c] / 1e6 / questions.size());
            }
            o.printf("done in %.1f s; pictures in %s%n", (System.nanoTime() - start) / 1e9, out);
        }
        return Main.EXIT_OK;
    }
}
