package dev.sieve.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sieve.llava.tokenizer.SentencePieceProcessor;
import dev.sieve.llava.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Finds the tokenizer of a model directory (or a tokenizer file) the way llava-hf lays them out. */
final class ModelFiles {
    private ModelFiles() {}

    /**
     * A {@code tokenizer.model} file as it is, or a model directory's {@code tokenizer.model} with the
     * tokens llava-hf adds past the SentencePiece vocabulary: {@code <image>} at config.json's
     * image_token_index and {@code <pad>} at its pad_token_id.
     */
    static Tokenizer tokenizer(Path fileOrDir) {
        try {
            return find(fileOrDir);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new UserInputException(fileOrDir + ": unusable tokenizer: " + e.getMessage());
        }
    }

    private static Tokenizer find(Path fileOrDir) {
        if (!Files.isDirectory(fileOrDir)) {
            if (!Files.isRegularFile(fileOrDir)) {
                throw new UserInputException(fileOrDir + ": no such tokenizer file or model directory");
            }
            return Tokenizer.load(fileOrDir);
        }
        Path model = fileOrDir.resolve("tokenizer.model");
        if (!Files.isRegularFile(model)) {
            throw new UserInputException(fileOrDir + ": no tokenizer.model (SentencePiece) in the model directory"
                    + (Files.exists(fileOrDir.resolve("tokenizer.json")) ? "; tokenizer.json alone is not supported yet" : ""));
        }
        SentencePieceProcessor sp = SentencePieceProcessor.load(model);
        Map<String, Integer> added = new LinkedHashMap<>();
        Path config = fileOrDir.resolve("config.json");
        if (Files.isRegularFile(config)) {
            try {
                JsonNode root = new ObjectMapper().readTree(config.toFile());
                int image = root.path("image_token_index").asInt(32000);
                if (image >= sp.vocabSize()) {
                    added.put("<image>", image);
                }
                int pad = root.path("pad_token_id").asInt(-1);
                if (pad >= sp.vocabSize() && pad != image) {
                    added.put("<pad>", pad);
                }
            } catch (IOException e) {
                throw new UserInputException(config + ": cannot read: " + e.getMessage());
            }
        }
        return new Tokenizer(sp, added);
    }
}
