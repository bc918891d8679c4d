package dev.sieve.cli;

import dev.sieve.llava.image.ClipImageProcessor;
import dev.sieve.llava.image.ImageDecoder;
import dev.sieve.llava.image.PixelValues;
import dev.sieve.llava.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What turns a user's image and question into model inputs for a llava-hf directory: its tokenizer and
 * its image processor. Cheap to load, so commands check images and prompts before the weights load.
 */
record ModelInputs(Tokenizer tokenizer, ClipImageProcessor processor, boolean padToSquare) {

    static ModelInputs of(Path model, boolean padToSquare) {
        Path processorConfig = model.resolve("preprocessor_config.json");
        if (!Files.isRegularFile(processorConfig)) {
            throw new UserInputException(model + ": no preprocessor_config.json");
        }
        Tokenizer tokenizer = ModelFiles.tokenizer(model);
        try {
            return new ModelInputs(tokenizer, ClipImageProcessor.fromConfigFile(processorConfig), padToSquare);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(processorConfig + ": " + e.getMessage());
        }
    }

    PixelValues pixels(Path image) {
        var rgb = ImageDecoder.decode(image);
        return padToSquare ? processor.processPaddedToSquare(rgb) : processor.process(rgb);
    }

    /** Token ids of a question in the LLaVA-1.5 template (or of a full prompt that has its own {@code <image>}), with BOS. */
    int[] prompt(String question) {
        return tokenizer.encode(RunCommand.llava15Prompt(question), true);
    }

    /** The answer text of generated ids (</s> dropped). */
    String answer(int[] generated) {
        return tokenizer.decode(java.util.Arrays.stream(generated).filter(t -> t != tokenizer.eosId()).toArray()).strip();
    }
}
