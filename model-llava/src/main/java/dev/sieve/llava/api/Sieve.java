package dev.sieve.llava.api;

import dev.sieve.kernels.KernelSettings;
import dev.sieve.llava.LayerProgress;
import dev.sieve.llava.Llava;
import dev.sieve.llava.LlavaConfig;
import dev.sieve.llava.ModelException;
import dev.sieve.llava.PrefillFlops;
import dev.sieve.llava.Sampler;
import dev.sieve.llava.image.ClipImageProcessor;
import dev.sieve.llava.image.PixelValues;
import dev.sieve.llava.image.RgbImage;
import dev.sieve.llava.tokenizer.Tokenizer;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.PrunePlan;
import dev.sieve.pruning.pipeline.StageResult;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsException;
import dev.sieve.viz.KeptPatches;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * Sieve as a library: a llava-hf model directory opened once, asked questions about images, each request
 * with its own pruning and sampling. Everything a caller needs — chat template, tokenizer, image
 * preprocessing, stop tokens and strings, limits — is here.
 *
 * <pre>{@code
 * try (Sieve sieve = Sieve.open(Path.of("models/shapes-llava"))) {
 *     SieveAnswer a = sieve.ask(SieveRequest.of(SieveImage.of(Path.of("scene.png")), "How many circles are there?")
 *             .withPrune("vispruner:keep=16").withMaxTokens(8));
 *     System.out.println(a.text() + " (" + a.usage().visualTokensKept() + " of " + a.usage().visualTokensTotal() + " visual tokens)");
 * }
 * }</pre>
 *
 * <p>Thread-safe: any number of threads may ask at once. Images are decoded and prompts tokenized on the
 * caller's thread; one scheduler thread owns the model and decodes the running requests together
 * (continuous batching, up to {@link SieveOptions#maxBatch()}), so concurrent requests share each pass over
 * the weights. Bad input — an image that is not PNG/JPEG or too large, a bad prune spec, sampling values out
 * of range, a prompt or max tokens beyond the context — is a {@link SieveException} with a one-line message.
 */
public final class Sieve implements AutoCloseable {
    /** Largest prompt text accepted, in characters per position of context (no token is longer). */
    private static final int PROMPT_CHARS_PER_POSITION = 64;

    private final Path directory;
    private final SieveOptions options;
    private final Tokenizer tokenizer;
    private final ClipImageProcessor processor;
    private final Llava llava;
    private final ExecutionContext context;
    private final Ops ops;
    private final Images images;
    private final Scheduler scheduler;

    private Sieve(Path directory, SieveOptions options, Tokenizer tokenizer, ClipImageProcessor processor, Llava llava, ExecutionContext context) {
        this.directory = directory;
        this.options = options;
        this.tokenizer = tokenizer;
        this.processor = processor;
        this.llava = llava;
        this.context = context;
        this.ops = new Ops(context);
        this.images = new Images(options.maxImageBytes(), options.maxImagePixels());
        this.scheduler = new Scheduler(llava, ops, options.maxBatch());
    }

    /** What is open: the model's name (its directory's), visual tokens per image, context length and the default pruning. */
    public record Info(String name, Path directory, int visualTokensPerImage, int contextLength, String defaultPrune, int maxBatch) {}

    public static Sieve open(Path directory) {
        return open(directory, SieveOptions.defaults());
    }

    /**
     * Opens a llava-hf directory (config.json, safetensors, tokenizer.model or tokenizer.json,
     * preprocessor_config.json); the weights stay memory-mapped. Checks the cheap files before the weights.
     *
     * @throws IllegalArgumentException when a kernel setting ({@code -Dsieve.vector.bits}, ...) has a bad value
     *     ({@link KernelSettings#check()})
     */
    public static Sieve open(Path directory, SieveOptions options) {
        KernelSettings.check();
        if (!Files.isDirectory(directory)) {
            throw model(directory + ": no such model directory");
        }
        Path processorConfig = directory.resolve("preprocessor_config.json");
        if (!Files.isRegularFile(processorConfig)) {
            throw model(directory + ": no preprocessor_config.json");
        }
        Tokenizer tokenizer = ModelDirectory.tokenizer(directory);
        ClipImageProcessor processor;
        try {
            processor = ClipImageProcessor.fromConfigFile(processorConfig);
        } catch (IllegalArgumentException e) {
            throw model(e.getMessage());  // PreprocessorConfig.read names the file
        }
        Llava llava;
        try {
            plan(options.defaultPrune(), LlavaConfig.load(directory), directory);
            llava = Llava.load(directory, new dev.sieve.llava.LoadOptions(options.weights(), options.mmap(),
                    options.threads() == 0 ? Runtime.getRuntime().availableProcessors() : options.threads(), null));
        } catch (ModelException | SafetensorsException e) {
            throw model(e.getMessage());
        }
        ExecutionContext context = options.threads() == 0 ? ExecutionContext.create() : ExecutionContext.create(options.threads());
        return new Sieve(directory, options, tokenizer, processor, llava, context);
    }

    private static SieveException model(String message) {
        return new SieveException(SieveException.Kind.INVALID_MODEL, "model", message);
    }

    public Info info() {
        LlavaConfig c = llava.config();
        return new Info(directory.toAbsolutePath().normalize().getFileName().toString(), directory,
                c.vision().patches() + (c.keepClsFeature() ? 1 : 0), c.text().maxPositions(), options.defaultPrune(), options.maxBatch());
    }

    /** The LLaVA-1.5 conversation template around a plain question; a prompt containing {@code <image>} is used as written. */
    public static String llava15Prompt(String question) {
        return question.contains("<image>") ? question : "USER: <image>\n" + question + " ASSISTANT:";
    }

    /** Decodes and preprocesses an image once, for several questions about it. */
    public SieveImage.Prepared prepare(SieveImage image) {
        if (image instanceof SieveImage.Prepared p) {
            return p;
        }
        RgbImage rgb = images.decode(image);
        return new SieveImage.Prepared(options.padToSquare() ? processor.processPaddedToSquare(rgb) : processor.process(rgb));
    }

    /** The picture a prepared image's pixel values show (un-normalised), as the model saw it. */
    public BufferedImage seen(SieveImage.Prepared image) {
        return KeptPatches.seen(image.pixels(), processor.config().imageMean(), processor.config().imageStd());
    }

    /** Checks a pruning spec against the model (for servers and tools that take one up front). */
    public void checkPrune(String spec) {
        plan(spec, llava.config(), directory);
    }

    /** Checks a pruning spec against a model directory's config before its weights load; a bad one is a one-line {@link SieveException}. */
    public static void checkPrune(Path directory, String spec) {
        try {
            plan(spec, LlavaConfig.load(directory), directory);
        } catch (ModelException e) {
            throw model(e.getMessage());
        }
    }

    /** Answers one request (blocking). */
    public SieveAnswer ask(SieveRequest request) {
        return ask(request, piece -> { });
    }

    /**
     * Answers one request, giving {@code pieces} the answer's text as it is decoded; the pieces add up to
     * {@link SieveAnswer#text()}. They come on the decoding thread: keep the consumer quick (hand them to a
     * queue), since every running request waits for it. A consumer that throws cancels its request.
     */
    public SieveAnswer ask(SieveRequest request, Consumer<String> pieces) {
        return await(submit(request, pieces));
    }

    /** Several requests, decoded together; the answers in request order. The first failure is thrown after all finish. */
    public List<SieveAnswer> askAll(List<SieveRequest> requests) {
        List<SieveCall> calls = new ArrayList<>();
        try {
            for (SieveRequest r : requests) {
                calls.add(submit(r, piece -> { }));
            }
        } catch (RuntimeException e) {
            calls.forEach(SieveCall::cancel);
            throw e;
        }
        List<SieveAnswer> answers = new ArrayList<>();
        RuntimeException first = null;
        for (SieveCall c : calls) {
            try {
                answers.add(await(c));
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
        return answers;
    }

    /**
     * Checks and prepares a request on the caller's thread, then queues it for the next decode step. Bad input
     * throws here; failures later (a prompt that does not fit the context once merged) complete the answer
     * exceptionally with a {@link SieveException}.
     */
    public SieveCall submit(SieveRequest request, Consumer<String> pieces) {
        LlavaConfig config = llava.config();
        int context = config.text().maxPositions();
        checkSampling(request);
        if (request.maxTokens() < 0 || request.maxTokens() >= context) {
            throw SieveException.invalid("max_tokens", "max_tokens " + request.maxTokens() + " must be between 1 and " + (context - 1)
                    + " (the model's context is " + context + " positions), or 0 for as many as the context leaves");
        }
        checkStop(request.stop());
        if (request.prompt().length() > (long) context * PROMPT_CHARS_PER_POSITION) {
            throw SieveException.invalid("prompt", "the prompt's " + request.prompt().length() + " characters cannot fit the context of "
                    + context + " positions");
        }
        String spec = request.prune() == null ? options.defaultPrune() : request.prune();
        PrunePlan pruning = plan(spec, config, directory);
        int[] ids = tokenizer.encode(llava15Prompt(request.prompt()), true);
        int unpruned = llava.unprunedPromptLength(ids);
        if (ids.length >= context) {
            throw SieveException.invalid("prompt", "the prompt is " + ids.length + " tokens; the model's context is " + context + " positions");
        }
        // Without a limit, decode as far as the context allows the unpruned prompt (at least one token: pruned prompts are shorter).
        int maxTokens = request.maxTokens() > 0 ? request.maxTokens() : Math.max(1, context - unpruned);
        PixelValues pixels = prepare(request.image()).pixels();
        Sampler sampler;
        try {
            sampler = new Sampler(request.temperature(), request.topP(), request.seed());
        } catch (ModelException e) {
            throw SieveException.invalid("temperature", e.getMessage());
        }
        Llava.Request r = new Llava.Request(pixels.chw(), ids, pruning, sampler);
        Job job = new Job(r, maxTokens, new TextStream(tokenizer, request.stop(), pieces),
                (j, g) -> answer(j, g, spec, unpruned));
        scheduler.submit(job);
        return job;
    }

    private static void checkSampling(SieveRequest r) {
        if (!(r.temperature() >= 0) || Float.isInfinite(r.temperature())) {
            throw SieveException.invalid("temperature", "temperature " + r.temperature() + " must be a finite number >= 0 (0 = greedy)");
        }
        if (!(r.topP() > 0 && r.topP() <= 1)) {
            throw SieveException.invalid("top_p", "top_p " + r.topP() + " must be in (0, 1]");
        }
    }

    private static void checkStop(List<String> stop) {
        if (stop.size() > SieveRequest.MAX_STOP_STRINGS) {
            throw SieveException.invalid("stop", stop.size() + " stop strings; at most " + SieveRequest.MAX_STOP_STRINGS);
        }
        for (String s : stop) {
            if (s == null || s.isEmpty()) {
                throw SieveException.invalid("stop", "stop strings must not be empty");
            }
        }
    }

    private SieveAnswer answer(Job job, Llava.Generation g, String spec, int unprunedPromptLength) {
        long now = System.nanoTime();
        SieveAnswer.Usage usage = new SieveAnswer.Usage(g.promptLength(), g.newTokens().length, g.visualTokensTotal(), g.visualTokensKept());
        SieveAnswer.Timings timings = new SieveAnswer.Timings(ms(job.admittedNanos - job.submittedNanos), g.imageNanos() / 1e6,
                g.prefillNanos() / 1e6, ms(job.firstTokenNanos - job.submittedNanos), g.decodeNanos() / 1e6, ms(now - job.submittedNanos));
        return new SieveAnswer(job.text.finish(), g.newTokens(), job.finishReason, spec, usage, timings,
                flops(g, unprunedPromptLength), keptPatches(g));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private SieveAnswer.Flops flops(Llava.Generation g, int unprunedPromptLength) {
        PrefillFlops f = PrefillFlops.of(g, llava.config(), unprunedPromptLength);
        return new SieveAnswer.Flops(f.llm(), f.llmUnpruned(), f.vision(), f.projector(), f.tokensPerLayer());
    }

    /** Every cut of every stage, named as the CLI's pictures name them ("fastv", or "pdrop 1", "pdrop 2", ...). */
    private static List<SieveAnswer.KeptPatches> keptPatches(Llava.Generation g) {
        List<SieveAnswer.KeptPatches> out = new ArrayList<>();
        for (StageResult stage : g.stages()) {
            List<StageResult.Cut> cuts = stage.cuts();
            for (int i = 0; i < cuts.size(); i++) {
                out.add(new SieveAnswer.KeptPatches(cuts.size() == 1 ? stage.name() : stage.name() + " " + (i + 1), cuts.get(i).kept()));
            }
        }
        return out;
    }

    private static SieveAnswer await(SieveCall call) {
        try {
            return call.answer().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Requests queued for a place in the batch. */
    public int waiting() {
        return scheduler.waiting();
    }

    /** Requests decoding now. */
    public int running() {
        return scheduler.running();
    }

    /** Floating-point operations the kernels have counted since the model opened, in GFLOP (all requests). */
    public double countedGflop() {
        return context.counters().snapshot().total().gflop();
    }

    /** Reports each vision-tower and prefill layer as it finishes (progress bars for large models); {@link LayerProgress#NONE} to stop. */
    public void onProgress(LayerProgress listener) {
        llava.onProgress(listener);
    }

    /**
     * The one place a pruning spec becomes what {@link Llava} runs: the plan parsed, budgets checked against the
     * model's visual tokens and layers. A bad spec is a one-line {@link SieveException} on {@code prune}.
     */
    private static PrunePlan plan(String spec, LlavaConfig config, Path directory) {
        ModelShape shape = Llava.shapeOf(config, directory);
        try {
            return PrunePlan.parse(spec, shape);
        } catch (IllegalArgumentException | ModelException e) {
            throw SieveException.invalid("prune", "prune " + spec + ": " + e.getMessage());
        }
    }

    /** Stops the scheduler (requests still waiting or running fail with {@link SieveException.Kind#UNAVAILABLE}) and unmaps the weights. */
    @Override
    public void close() {
        scheduler.close();
        context.close();
        llava.close();
    }
}
