package dev.sieve.cli;

import dev.sieve.llava.Llava;
import dev.sieve.llava.LlavaConfig;
import dev.sieve.llava.PrefillFlops;
import dev.sieve.llava.Sampler;
import dev.sieve.llava.image.ClipImageProcessor;
import dev.sieve.llava.image.ImageDecoder;
import dev.sieve.llava.image.PixelValues;
import dev.sieve.llava.tokenizer.Tokenizer;
import dev.sieve.runtime.Ops;
import dev.sieve.viz.KeptPatches;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A loaded llava-hf model directory ready for questions: weights, tokenizer and image processor.
 * Shared by {@code sieve demo} and {@code sieve eval}, which ask many questions of one model.
 */
final class Answerer implements AutoCloseable {
    private final Llava llava;
    private final Tokenizer tokenizer;
    private final ClipImageProcessor processor;
    private final boolean padToSquare;

    private Answerer(Llava llava, Tokenizer tokenizer, ClipImageProcessor processor, boolean padToSquare) {
        this.llava = llava;
        this.tokenizer = tokenizer;
        this.processor = processor;
        this.padToSquare = padToSquare;
    }

    /** What one question gave: the answer text, the run behind it, its FLOPs and the visual tokens the LLM ended with. */
    record Answer(String text, Llava.Generation generation, PrefillFlops flops, int visualTokens) {}

    static Answerer open(Path model, boolean padToSquare) {
        Path processorConfig = model.resolve("preprocessor_config.json");
        if (!Files.isRegularFile(processorConfig)) {
            throw new UserInputException(model + ": no preprocessor_config.json");
        }
        Tokenizer tokenizer = ModelFiles.tokenizer(model);
        ClipImageProcessor processor;
        try {
            processor = ClipImageProcessor.fromConfigFile(processorConfig);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(processorConfig + ": " + e.getMessage());
        }
        return new Answerer(Llava.load(model), tokenizer, processor, padToSquare);
    }

    LlavaConfig config() {
        return llava.config();
    }

    dev.sieve.llava.image.PreprocessorConfig processorConfig() {
        return processor.config();
    }

    PixelValues pixels(Path image) {
        var rgb = ImageDecoder.decode(image);
        return padToSquare ? processor.processPaddedToSquare(rgb) : processor.process(rgb);
    }

    /** Greedy answer to {@code question} (wrapped in the LLaVA-1.5 template), stopping at </s>. */
    Answer ask(PixelValues pixels, String question, Llava.Pruning pruning, Ops ops, int maxNewTokens) {
        int[] ids = tokenizer.encode(RunCommand.llava15Prompt(question), true);
        Llava.Generation g = llava.generate(pixels.chw(), ids, maxNewTokens, new Sampler(0, 1, 0), new int[] {tokenizer.eosId()},
                (step, token) -> {}, pruning, ops);
        String text = tokenizer.decode(Arrays.stream(g.newTokens()).filter(t -> t != tokenizer.eosId()).toArray()).strip();
        PrefillFlops flops = PrefillFlops.of(g, llava.config(), pruning, llava.unprunedPromptLength(ids));
        return new Answer(text, g, flops, PruneOption.visualTokensAtTheEnd(g, llava.config().vision().patches()));
    }

    /** Writes the picture of the image as the model saw it and one panel per entry of {@code panels}. */
    void drawKeptPatches(PixelValues pixels, java.util.List<KeptPatches.Panel> panels, Path png) {
        var pc = processor.config();
        int grid = llava.config().vision().imageSize() / llava.config().vision().patchSize();
        try {
            KeptPatches.write(KeptPatches.render(KeptPatches.seen(pixels, pc.imageMean(), pc.imageStd()), grid, panels), png);
        } catch (java.io.IOException e) {
            throw new UserInputException(png + ": cannot write: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        llava.close();
    }
}
