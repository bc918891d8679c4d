package dev.sieve.llava.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sieve.llava.JsonMessages;
import dev.sieve.llava.tokenizer.SentencePieceProcessor;
import dev.sieve.llava.tokenizer.Tokenizer;
import dev.sieve.llava.tokenizer.TokenizerJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Finds the tokenizer of a model directory (or a tokenizer file) the way llava-hf lays them out. */
public final class ModelDirectory {
    private ModelDirectory() {}

    /**
     * A {@code tokenizer.model} or {@code tokenizer.json} file as it is, or a model directory's tokenizer
     * ({@code tokenizer.model}, else {@code tokenizer.json}) with the tokens llava-hf adds past the
     * SentencePiece vocabulary: {@code <image>} at config.json's image_token_index and {@code <pad>} at its
     * pad_token_id. A file or directory it cannot use is a one-line {@link SieveException}.
     */
    public static Tokenizer tokenizer(Path fileOrDir) {
        try {
            return find(fileOrDir);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw model(fileOrDir + ": unusable tokenizer: " + e.getMessage());
        }
    }

    private static SieveException model(String message) {
        return new SieveException(SieveException.Kind.INVALID_MODEL, "model", message);
    }

    private static Tokenizer find(Path fileOrDir) {
        if (!Files.isDirectory(fileOrDir)) {
            if (!Files.isRegularFile(fileOrDir)) {
                throw model(fileOrDir + ": no such tokenizer file or model directory");
            }
            return fileOrDir.toString().endsWith(".json") ? TokenizerJson.load(fileOrDir, Map.of()) : Tokenizer.load(fileOrDir);
        }
        Path model = fileOrDir.resolve("tokenizer.model");
        Path json = fileOrDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(model)) {
            if (Files.isRegularFile(json)) {
                // Added tokens of tokenizer.json win; config.json's <image>/<pad> ids fill in what it lacks.
                return TokenizerJson.load(json, configAddedTokens(fileOrDir, 0));
            }
            throw model(fileOrDir + ": no tokenizer.model (SentencePiece) or tokenizer.json in the model directory");
        }
        SentencePieceProcessor sp = SentencePieceProcessor.load(model);
        return new Tokenizer(sp, configAddedTokens(fileOrDir, sp.vocabSize()));
    }

    /** {@code <image>} at config.json's image_token_index and {@code <pad>} at its pad_token_id, where they lie past {@code vocabSize}. */
    private static Map<String, Integer> configAddedTokens(Path fileOrDir, int vocabSize) {
        Map<String, Integer> added = new LinkedHashMap<>();
        Path config = fileOrDir.resolve("config.json");
        if (Files.isRegularFile(config)) {
            try {
                JsonNode root = new ObjectMapper().readTree(config.toFile());
                int image = root.path("image_token_index").asInt(32000);
                if (image >= vocabSize) {
                    added.put("<image>", image);
                }
                int pad = root.path("pad_token_id").asInt(-1);
                if (pad >= vocabSize && pad != image) {
                    added.put("<pad>", pad);
                }
            } catch (IOException e) {
                throw model(config + ": cannot read: " + JsonMessages.oneLine(e));
            }
        }
        return added;
    }
}
