package dev.sieve.cli;

import dev.sieve.llava.LayerProgress;
import dev.sieve.llava.Llava;
import dev.sieve.llava.PrefillFlops;
import dev.sieve.llava.Sampler;
import dev.sieve.llava.image.PixelValues;
import dev.sieve.llava.tokenizer.Tokenizer;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import java.io.PrintWriter;
import java.nio.file.Path;
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

    private dev.sieve.kernels.WeightType weightType;

    @Option(names = "--temperature", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature = 0;

    @Option(names = "--top-p", description = "nucleus sampling mass (default: ${DEFAULT-VALUE})")
    float topP = 1;

    @Option(names = "--seed", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--prune", paramLabel = "SPEC", description = "visual token pruning (default: none); accepted: "
            + dev.sieve.pruning.PruneSpec.ACCEPTED)
    String prune = "none";

    @Option(names = "--pad-to-square", description = "LLaVA-1.5's image_aspect_ratio=pad: pad the image to a square with the mean colour first")
    boolean padToSquare;

    @Spec
    CommandSpec spec;

    /** The LLaVA-1.5 conversation template around a plain question. */
    static String llava15Prompt(String question) {
        return question.contains("<image>") ? question : "USER: <image>\n" + question + " ASSISTANT:";
    }

    @Override
    public Integer call() {
        if (maxNewTokens < 1 || (threads != null && threads < 1)) {
            throw new UserInputException("--max-new-tokens and --threads must be >= 1");
        }
        weightType = WeightsOption.parse(weights);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PruneOption pruning = new PruneOption(prune);
        ModelInputs inputs = ModelInputs.of(model, padToSquare);
        Tokenizer tokenizer = inputs.tokenizer();
        int batch = Math.max(images.size(), prompts.size());
        if ((images.size() != 1 && images.size() != batch) || (prompts.size() != 1 && prompts.size() != batch)) {
            throw new UserInputException("give one --image per --prompt (or one of either for all): got " + images.size() + " images and "
                    + prompts.size() + " prompts");
        }
        if (batch > 1) {
            return runBatch(batch, inputs, pruning, out);
        }
        PixelValues pixels = inputs.pixels(images.get(0));
        int[] ids = inputs.prompt(prompts.get(0));

        // Check the pruning request against the model's config before the (slow) weight loading.
        Llava.Pruning resolvedPruning = pruning.resolve(dev.sieve.llava.LlavaConfig.load(model));
        err.print("loading " + model + " ... ");
        err.flush();
        long loadStart = System.nanoTime();
        try (Llava llava = WeightsOption.load(model, weightType, threads, spec.commandLine().getErr());
             ExecutionContext ctx = threads == null ? ExecutionContext.create() : ExecutionContext.create(threads)) {
            err.printf("%.0f ms%n", (System.nanoTime() - loadStart) / 1e6);
            err.flush();
            // Vision tower and prefill layers on a terminal: the first prefill of a large model also pages its weights in.
            ProgressBar bar = ProgressBar.onTerminal(err, "image + prefill",
                    llava.config().visionLayersToRun() + llava.config().text().layers());
            if (bar != null) {
                int visionLayers = llava.config().visionLayersToRun();
                llava.onProgress((phase, done, total) -> bar.update(phase == LayerProgress.Phase.VISION ? done : visionLayers + done));
            }
            int[] produced = new int[maxNewTokens];
            int[] count = {0};
            String[] shown = {""};
            Llava.Generation g = llava.generate(pixels.chw(), ids, maxNewTokens, new Sampler(temperature, topP, seed),
                    new int[] {tokenizer.eosId()}, (step, token) -> {
                        if (step == 0 && bar != null) {
                            bar.finish();
                        }
                        // Stream: print what the new token adds to the decoded answer.
                        produced[count[0]++] = token;
                        String text = tokenizer.decode(Arrays.stream(produced, 0, count[0]).filter(t -> t != tokenizer.eosId()).toArray());
                        if (text.startsWith(shown[0])) {
                            out.print(text.substring(shown[0].length()));
                            out.flush();
                        }
                        shown[0] = text;
                    }, resolvedPruning, new Ops(ctx));
            out.println();
            int newTokens = g.newTokens().length;
            int imageTokens = llava.config().vision().patches();
            out.printf("-- visual tokens %d -> %d (%s)%n", imageTokens, PruneOption.visualTokensAtTheEnd(g, imageTokens), pruning.spec());
            PrefillFlops flops = PrefillFlops.of(g, llava.config(), resolvedPruning, llava.unprunedPromptLength(ids));
            out.printf("-- prefill FLOPs (papers' formula): LLM %.3f G = %.1f%% of unpruned, tokens per layer %s; vision %.3f G, projector %.3f G%n",
                    flops.llm() / 1e9, 100 * flops.llmRatio(), Arrays.toString(flops.tokensPerLayer()), flops.vision() / 1e9,
                    flops.projector() / 1e9);
            out.printf("-- image %.0f ms | prefill %d positions in %.0f ms (%.1f tok/s) | decode %d tokens in %.0f ms (%.1f tok/s) | %.2f GFLOP%n",
                    g.imageNanos() / 1e6, g.promptLength(), g.prefillNanos() / 1e6, g.promptLength() / (g.prefillNanos() / 1e9),
                    Math.max(0, newTokens - 1), g.decodeNanos() / 1e6, Math.max(0, newTokens - 1) / Math.max(1e-9, g.decodeNanos() / 1e9),
                    ctx.counters().snapshot().total().gflop());
        }
        return Main.EXIT_OK;
    }

    /** Several image/prompt pairs: prefilled one by one (each pruned on its own), decoded together; answers printed at the end. */
    private int runBatch(int batch, ModelInputs inputs, PruneOption pruning, PrintWriter out) {
        Llava.Pruning plan = pruning.resolve(dev.sieve.llava.LlavaConfig.load(model));
        java.util.List<Llava.Request> requests = new java.util.ArrayList<>();
        for (int b = 0; b < batch; b++) {
            PixelValues px = inputs.pixels(images.get(images.size() == 1 ? 0 : b));
            int[] ids = inputs.prompt(prompts.get(prompts.size() == 1 ? 0 : b));
            requests.add(new Llava.Request(px.chw(), ids, plan, new Sampler(temperature, topP, seed + b)));
        }
        try (Llava llava = WeightsOption.load(model, weightType, threads, spec.commandLine().getErr());
             ExecutionContext ctx = threads == null ? ExecutionContext.create() : ExecutionContext.create(threads)) {
            java.util.List<Llava.Generation> results = llava.generateBatch(requests, maxNewTokens, new int[] {inputs.tokenizer().eosId()},
                    new Ops(ctx));
            long prefill = 0;
            int tokens = 0;
            for (int b = 0; b < batch; b++) {
                Llava.Generation g = results.get(b);
                prefill += g.imageNanos() + g.prefillNanos();
                tokens += Math.max(0, g.newTokens().length - 1);
                String answer = inputs.answer(g.newTokens());
                out.printf("[%d] %s | %s%n    %s%n", b + 1, images.get(images.size() == 1 ? 0 : b).getFileName(),
                        prompts.get(prompts.size() == 1 ? 0 : b), answer);
            }
            double decodeSeconds = results.get(0).decodeNanos() / 1e9;
            out.printf("-- batch of %d (%s): image + prefill %.0f ms in all | decode %d tokens together in %.0f ms (%.1f tok/s)%n", batch,
                    pruning.spec(), prefill / 1e6, tokens, decodeSeconds * 1e3, tokens / Math.max(1e-9, decodeSeconds));
        }
        return Main.EXIT_OK;
    }
}
