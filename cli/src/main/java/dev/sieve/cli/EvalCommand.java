package dev.sieve.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.eval.AccuracyPlot;
import dev.sieve.eval.ConfigResult;
import dev.sieve.eval.EvalQuestion;
import dev.sieve.eval.EvalReport;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.SieveRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sieve eval}: every pruning configuration over the same questions, as the papers' tables do
 * it — accuracy (95% Wilson interval), visual tokens kept, FLOPs and prefill time relative to the
 * unpruned pass measured in the same run. Configurations run interleaved per question, so drifts in
 * machine speed affect all of them alike.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Accuracy of pruning configurations on a JSONL of {image, question, answer}.")
final class EvalCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "llava-hf checkpoint directory")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl", description = "one {\"image\", \"question\", \"answer\"[, \"kind\"]} per line; image paths relative to the file")
    Path data;

    @Option(names = "--limit", paramLabel = "N", description = "first N questions only (default: all)")
    int limit;

    @Option(names = "--prune", paramLabel = "SPEC", description = PruneOption.HELP)
    List<String> prune = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "write results.csv, results.md, accuracy.png and answers.jsonl (each question's answer under every configuration) here")
    Path out;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "answer length limit (default: ${DEFAULT-VALUE})")
    int maxNewTokens = 8;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--pad-to-square", description = "pad images to a square with the mean colour first (LLaVA-1.5's image_aspect_ratio=pad)")
    boolean padToSquare;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        OptionChecks.atLeast("--limit", limit, 0);
        OptionChecks.atLeast("--max-new-tokens", maxNewTokens, 1);
        OptionChecks.atLeastIfGiven("--threads", threads, 1);
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> specs = new ArrayList<>(List.of("none"));
        prune.stream().filter(s -> !s.equals("none") && !specs.contains(s)).forEach(specs::add);
        List<PruneOption> options = specs.stream().map(PruneOption::new).toList();
        List<EvalQuestion> questions;
        try {
            questions = EvalQuestion.read(data, limit);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new UserInputException(e.getMessage());
        }
        for (EvalQuestion q : questions) {
            if (!Files.isRegularFile(q.image())) {
                throw new UserInputException(data + ": image " + q.image() + " does not exist");
            }
        }
        if (out != null) {
            try {
                Files.createDirectories(out);
            } catch (IOException e) {
                throw new UserInputException("--out " + out + ": cannot create: " + e.getMessage());
            }
        }
        options.forEach(p -> p.resolve(dev.sieve.llava.LlavaConfig.load(model), model));
        try (Sieve sieve = Sieve.open(model, SieveOptions.defaults().withThreads(threads == null ? 0 : threads).withPadToSquare(padToSquare))) {
            List<ConfigResult> results = specs.stream().map(ConfigResult::new).toList();
            Map<Path, SieveImage.Prepared> pixels = new HashMap<>();
            ProgressBar bar = new ProgressBar(err, "eval", (long) questions.size() * specs.size());
            long done = 0;
            StringBuilder answers = new StringBuilder();
            Path base = data.toAbsolutePath().getParent();
            for (EvalQuestion q : questions) {
                ObjectNode row = JSON.createObjectNode().put("image", base.relativize(q.image().toAbsolutePath()).toString())
                        .put("question", q.question()).put("answer", q.answer()).put("kind", q.kind());
                ObjectNode given = row.putObject("answers");
                ArrayNode right = row.putArray("right");
                SieveImage.Prepared px = pixels.computeIfAbsent(q.image(), image -> sieve.prepare(SieveImage.of(image)));
                if (pixels.size() > 256) {
                    pixels.clear();  // bounded cache: consecutive questions usually share images
                }
                for (int c = 0; c < specs.size(); c++) {
                    SieveAnswer a = sieve.ask(SieveRequest.of(px, q.question()).withPrune(specs.get(c)).withMaxTokens(maxNewTokens));
                    boolean isRight = q.matches(a.text());
                    given.put(specs.get(c), a.text());
                    if (isRight) {
                        right.add(specs.get(c));
                    }
                    results.get(c).add(isRight, q.kind(), a.usage().visualTokensKept(), a.flops().llm(), a.flops().total(),
                            Math.round((a.timings().imageMs() + a.timings().prefillMs()) * 1e6));
                    bar.update(++done);
                }
                answers.append(row).append('\n');
            }
            bar.finish();
            EvalReport report = new EvalReport(results, results.get(0));
            o.printf("%s on %s: %d questions%n", model, data, questions.size());
            o.print(report.text());
            if (out != null) {
                write(out.resolve("results.csv"), report.csv());
                write(out.resolve("results.md"), report.markdown());
                write(out.resolve("answers.jsonl"), answers.toString());
                AccuracyPlot.write(results, results.get(0), model.getFileName() + ": accuracy vs visual tokens kept ("
                        + questions.size() + " questions)", out.resolve("accuracy.png"));
                o.println("wrote " + out.resolve("results.csv") + ", " + out.resolve("results.md") + ", " + out.resolve("accuracy.png") + ", "
                        + out.resolve("answers.jsonl"));
            }
        } catch (IOException e) {
            throw new UserInputException("--out " + out + ": " + e.getMessage());
        }
        return Main.EXIT_OK;
    }

    private static void write(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
