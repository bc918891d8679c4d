package dev.sieve.cli;

import dev.sieve.llava.LayerProgress;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.SieveRequest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sieve run}: an image and a question in, the answer streamed out, then a timing line.
 * A prompt without {@code <image>} is wrapped in the LLaVA-1.5 template
 * {@code USER: <image>\n{prompt} ASSISTANT:}; one that has it is used as written.
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Answer a question about an image with a llava-hf checkpoint.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "llava-hf checkpoint directory (config.json, safetensors, tokenizer.model, preprocessor_config.json)")
    Path model;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "PNG or JPEG; repeat for a batch")
    List<Path> images;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the question (or a full prompt containing <image>); repeat for a batch")
    List<String> prompts;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "default: ${DEFAULT-VALUE}")
    int maxNewTokens = 64;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--weights", paramLabel = "TYPE", description = WeightsOption.DESCRIPTION)
    String weights;

    @Option(names = "--no-mmap", description = WeightsOption.NO_MMAP_DESCRIPTION)
    boolean noMmap;

    @Option(names = "--temperature", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature = 0;

    @Option(names = "--top-p", description = "nucleus sampling mass (default: ${DEFAULT-VALUE})")
    float topP = 1;

    @Option(names = "--seed", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--prune", paramLabel = "SPEC", description = PruneOption.HELP)
    String prune = "none";

    @Option(names = "--pad-to-square", description = "LLaVA-1.5's image_aspect_ratio=pad: pad the image to a square with the mean colour first")
    boolean padToSquare;

    @Spec
    CommandSpec spec;

    /** The LLaVA-1.5 conversation template around a plain question. */
    static String llava15Prompt(String question) {
        return Sieve.llava15Prompt(question);
    }

    @Override
    public Integer call() {
        OptionChecks.atLeast("--max-new-tokens", maxNewTokens, 1);
        OptionChecks.atLeastIfGiven("--threads", threads, 1);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PruneOption pruning = new PruneOption(prune);
        int batch = Math.max(images.size(), prompts.size());
        if ((images.size() != 1 && images.size() != batch) || (prompts.size() != 1 && prompts.size() != batch)) {
            throw new UserInputException("give one --image per --prompt (or one of either for all): got " + images.size() + " images and "
                    + prompts.size() + " prompts");
        }
        // Check the pruning request against the model's config before the weights load.
        dev.sieve.llava.LlavaConfig config = dev.sieve.llava.LlavaConfig.load(model);
        pruning.resolve(config, model);
        long loadStart = System.nanoTime();
        SieveOptions options = SieveOptions.defaults().withThreads(threads == null ? 0 : threads).withPadToSquare(padToSquare)
                .withWeights(WeightsOption.parse(weights)).withMmap(!noMmap)
                .withMaxBatch(batch).withDefaultPrune(pruning.spec());
        try (Sieve sieve = Sieve.open(model, options)) {
            double loadMs = (System.nanoTime() - loadStart) / 1e6;
            int context = sieve.info().contextLength();
            if (maxNewTokens >= context) {
                throw new UserInputException("--max-new-tokens " + maxNewTokens + ": must be below the model's context of " + context
                        + " positions");
            }
            // Images and prompts are checked before anything is printed, so bad input is one line.
            List<SieveRequest> requests = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                SieveImage px = sieve.prepare(SieveImage.of(images.get(images.size() == 1 ? 0 : b)));
                requests.add(SieveRequest.of(px, prompts.get(prompts.size() == 1 ? 0 : b)).withMaxTokens(maxNewTokens)
                        .withSampling(temperature, topP, seed + b));
            }
            if (batch > 1) {
                return runBatch(sieve, requests, pruning, out);
            }
            err.printf("loading %s ... %.0f ms%n", model, loadMs);
            err.flush();
            // Vision tower and prefill layers on a terminal: the first prefill of a large model also pages its weights in.
            int visionLayers = config.visionLayersToRun();
            ProgressBar bar = ProgressBar.onTerminal(err, "image + prefill", visionLayers + config.text().layers());
            if (bar != null) {
                sieve.onProgress((phase, done, total) -> bar.update(phase == LayerProgress.Phase.VISION ? done : visionLayers + done));
            }
            boolean[] first = {true};
            SieveAnswer a = sieve.ask(requests.get(0), piece -> {
                if (first[0] && bar != null) {
                    bar.finish();
                }
                first[0] = false;
                out.print(piece);
                out.flush();
            });
            if (first[0] && bar != null) {
                bar.finish();
            }
            out.println();
            int newTokens = a.usage().completionTokens();
            out.printf("-- visual tokens %d -> %d (%s)%n", a.usage().visualTokensTotal(), a.usage().visualTokensKept(), pruning.spec());
            SieveAnswer.Flops flops = a.flops();
            out.printf("-- prefill FLOPs (papers' formula): LLM %.3f G = %.1f%% of unpruned, tokens per layer %s; vision %.3f G, projector %.3f G%n",
                    flops.llm() / 1e9, 100 * flops.llmRatio(), Arrays.toString(flops.tokensPerLayer()), flops.vision() / 1e9,
                    flops.projector() / 1e9);
            SieveAnswer.Timings t = a.timings();
            out.printf("-- image %.0f ms | prefill %d positions in %.0f ms (%.1f tok/s) | decode %d tokens in %.0f ms (%.1f tok/s) | %.2f GFLOP%n",
                    t.imageMs(), a.usage().promptTokens(), t.prefillMs(), a.usage().promptTokens() / (t.prefillMs() / 1e3),
                    Math.max(0, newTokens - 1), t.decodeMs(), Math.max(0, newTokens - 1) / Math.max(1e-9, t.decodeMs() / 1e3),
                    sieve.countedGflop());
        }
        return Main.EXIT_OK;
    }

    /** Several image/prompt pairs: prefilled one by one (each pruned on its own), decoded together; answers printed at the end. */
    private int runBatch(Sieve sieve, List<SieveRequest> requests, PruneOption pruning, PrintWriter out) {
        List<SieveAnswer> results = sieve.askAll(requests);
        double prefillMs = 0;
        int tokens = 0;
        for (int b = 0; b < results.size(); b++) {
            SieveAnswer a = results.get(b);
            prefillMs += a.timings().imageMs() + a.timings().prefillMs();
            tokens += Math.max(0, a.usage().completionTokens() - 1);
            out.printf("[%d] %s | %s%n    %s%n", b + 1, images.get(images.size() == 1 ? 0 : b).getFileName(),
                    prompts.get(prompts.size() == 1 ? 0 : b), a.text());
        }
        double decodeMs = results.stream().mapToDouble(a -> a.timings().decodeMs()).max().orElse(0);
        out.printf("-- batch of %d (%s): image + prefill %.0f ms in all | decode %d tokens together in %.0f ms (%.1f tok/s)%n", results.size(),
                pruning.spec(), prefillMs, tokens, decodeMs, tokens / Math.max(1e-9, decodeMs / 1e3));
        return Main.EXIT_OK;
    }
}
