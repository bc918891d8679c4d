package dev.sieve.cli;

import dev.sieve.llava.Llava;
import dev.sieve.llava.LlavaConfig;
import dev.sieve.llava.PrefillFlops;
import dev.sieve.llava.Sampler;
import dev.sieve.llava.image.PixelValues;
import dev.sieve.runtime.Ops;
import dev.sieve.viz.KeptPatches;
import java.nio.file.Path;

/**
 * A loaded llava-hf model directory ready for questions: weights, tokenizer and image processor.
 * Shared by {@code sieve demo} and {@code sieve eval}, which ask many questions of one model.
 */
final class Answerer implements AutoCloseable {
    private final Llava llava;
    private final ModelInputs inputs;

    private Answerer(Llava llava, ModelInputs inputs) {
        this.llava = llava;
        this.inputs = inputs;
    }

    /** What one question gave: the answer text, the run behind it, its FLOPs and the visual tokens the LLM ended with. */
    record Answer(String text, Llava.Generation generation, PrefillFlops flops, int visualTokens) {}

    static Answerer open(Path model, boolean padToSquare) {
        ModelInputs inputs = ModelInputs.of(model, padToSquare);
        return new Answerer(Llava.load(model), inputs);
    }

    LlavaConfig config() {
        return llava.config();
    }

    PixelValues pixels(Path image) {
        return inputs.pixels(image);
    }

    /** Greedy answer to {@code question} (wrapped in the LLaVA-1.5 template), stopping at </s>. */
    Answer ask(PixelValues pixels, String question, dev.sieve.pruning.PrunePlan pruning, Ops ops, int maxNewTokens) {
        int[] ids = inputs.prompt(question);
        Llava.Generation g = llava.generate(pixels.chw(), ids, maxNewTokens, new Sampler(0, 1, 0), new int[] {inputs.tokenizer().eosId()},
                (step, token) -> {}, pruning, ops);
        PrefillFlops flops = PrefillFlops.of(g, llava.config(), llava.unprunedPromptLength(ids));
        return new Answer(inputs.answer(g.newTokens()), g, flops, g.visualTokensKept());
    }

    /** Writes the picture of the image as the model saw it and one panel per entry of {@code panels}. */
    void drawKeptPatches(PixelValues pixels, java.util.List<KeptPatches.Panel> panels, Path png) {
        var pc = inputs.processor().config();
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
