package dev.sieve.llava.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The committed fixtures written by tools/make-tokenizer-goldens.py, and the shared Llama 2 model. */
final class Goldens {
    /**
     * One SentencePiece result: the ids it encodes {@code text} to (no BOS) and the text it decodes those ids to.
     * {@code text} is null for id sequences that only test decoding.
     */
    record Golden(String text, int[] ids, String decoded) {
        boolean hasText() {
            return text != null;
        }
    }

    static final String TINY_MODEL = "tiny-bpe.model";
    static final String TINY_GOLDENS = "tiny-bpe.goldens.jsonl";
    static final String LLAMA2_GOLDENS = "llama2.goldens.jsonl";

    private Goldens() {}

    static Path resource(String name) {
        try {
            return Path.of(Goldens.class.getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource " + name + " missing; run tools/make-tokenizer-goldens.py", e);
        }
    }

    /** Llama 2's tokenizer.model under the shared fixtures directory; it is not part of the repository. */
    static Path llama2Model() {
        return Path.of(System.getProperty("sieve.shared.dir", "../shared"), "tokenizers", "llama2-tokenizer.model");
    }

    static List<Golden> read(String name) {
        ObjectMapper json = new ObjectMapper();
        List<Golden> goldens = new ArrayList<>();
        try (InputStream in = Goldens.class.getResourceAsStream(name);
             BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = json.readTree(line);
                JsonNode ids = node.get("ids");
                int[] values = new int[ids.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = ids.get(i).asInt();
                }
                JsonNode text = node.get("text");
                goldens.add(new Golden(text == null ? null : text.asText(), values, node.get("decoded").asText()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return goldens;
    }
}
