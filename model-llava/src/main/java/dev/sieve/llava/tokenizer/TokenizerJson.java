package dev.sieve.llava.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sieve.llava.JsonMessages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} of the kind Llama and LLaVA checkpoints ship (a BPE model
 * converted from SentencePiece: {@code vocab}, {@code merges}, byte fallback, the "▁" normaliser) into
 * the same {@link SentencePieceModel} a {@code tokenizer.model} gives, plus the added tokens past the
 * vocabulary (llava-hf's {@code <image>}, {@code <pad>}).
 *
 * <p>Merge priority becomes the piece score: a piece scores minus the rank of the first merge that
 * forms it. transformers' converter orders merges by the merged piece's SentencePiece rank, so this
 * gives SentencePiece's merge order back exactly; a merge whose result is not in the vocabulary is
 * refused. Text is prefixed with "▁" per segment (the Prepend normaliser, or Metaspace with
 * prepend_scheme "always"); Metaspace's "first" scheme is refused rather than approximated.
 */
public final class TokenizerJson {
    private static final String SPACE = SentencePieceNormalizer.SPACE_SYMBOL;

    private TokenizerJson() {}

    /** The tokenizer of {@code file}, with {@code extraAdded} (e.g. from config.json) joining its added tokens. */
    public static Tokenizer load(Path file, Map<String, Integer> extraAdded) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": not readable JSON: " + JsonMessages.oneLine(e), e);
        }
        try {
            return parse(root, extraAdded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    static Tokenizer parse(JsonNode root, Map<String, Integer> extraAdded) {
        JsonNode model = root.path("model");
        if (!model.path("type").asText("BPE").equals("BPE") || !model.path("vocab").isObject() || !model.path("merges").isArray()) {
            throw new IllegalArgumentException("only BPE tokenizer.json models (vocab + merges) are supported, not '"
                    + model.path("type").asText("?") + "'");
        }
        boolean addDummyPrefix = dummyPrefix(root);
        int size = model.get("vocab").size();
        String[] texts = new String[size];
        for (Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0 || id >= size || texts[id] != null) {
                throw new IllegalArgumentException("vocab ids must be 0.." + (size - 1) + " without repeats; '" + e.getKey() + "' has " + e.getValue());
            }
            texts[id] = e.getKey();
        }
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < size; id++) {
            ids.put(texts[id], id);
        }
        float[] scores = new float[size];
        boolean[] formed = new boolean[size];
        JsonNode merges = model.get("merges");
        for (int rank = 0; rank < merges.size(); rank++) {
            JsonNode m = merges.get(rank);
            String merged;
            if (m.isArray() && m.size() == 2) {
                merged = m.get(0).asText() + m.get(1).asText();
            } else {
                String[] pair = m.asText().split(" ", -1);
                if (pair.length != 2) {
                    throw new IllegalArgumentException("merge " + rank + " '" + m.asText() + "' is not two pieces");
                }
                merged = pair[0] + pair[1];
            }
            Integer id = ids.get(merged);
            if (id == null) {
                throw new IllegalArgumentException("merge " + rank + " forms '" + merged + "', which is not in the vocab");
            }
            if (!formed[id]) {
                formed[id] = true;
                scores[id] = -rank;
            }
        }
        String unk = model.path("unk_token").asText("<unk>");
        Map<Integer, JsonNode> addedById = new HashMap<>();
        Map<String, Integer> added = new LinkedHashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt(-1);
            if (id >= size) {
                added.put(t.path("content").asText(), id);
            } else if (id >= 0) {
                addedById.put(id, t);
            }
        }
        extraAdded.forEach((text, id) -> {
            if (id >= size && !added.containsValue(id)) {
                added.putIfAbsent(text, id);
            }
        });
        List<SentencePieceModel.Piece> pieces = new ArrayList<>(size);
        int bos = -1;
        int eos = -1;
        int unkId = -1;
        for (int id = 0; id < size; id++) {
            String text = texts[id];
            PieceType type;
            if (text.equals(unk)) {
                type = PieceType.UNKNOWN;
                unkId = id;
            } else if (text.matches("<0x[0-9A-F]{2}>")) {
                type = PieceType.BYTE;
            } else if (addedById.containsKey(id)) {
                type = addedById.get(id).path("special").asBoolean(false) ? PieceType.CONTROL : PieceType.USER_DEFINED;
            } else {
                type = PieceType.NORMAL;
            }
            if (text.equals("<s>")) {
                bos = id;
            } else if (text.equals("</s>")) {
                eos = id;
            }
            pieces.add(new SentencePieceModel.Piece(text, scores[id], type));
        }
        if (unkId < 0) {
            throw new IllegalArgumentException("the vocab has no unknown token '" + unk + "'");
        }
        SentencePieceModel.Trainer trainer = new SentencePieceModel.Trainer(SentencePieceModel.MODEL_TYPE_BPE, size,
                model.path("byte_fallback").asBoolean(false), unkId, bos, eos, -1);
        SentencePieceModel.Normalizer normalizer = new SentencePieceModel.Normalizer("identity", 0, addDummyPrefix, false, true);
        return new Tokenizer(new SentencePieceProcessor(new SentencePieceModel(pieces, trainer, normalizer)), added);
    }

    /** Whether each text segment gets a leading "▁": the Prepend normaliser or Metaspace "always"; other schemes are refused. */
    private static boolean dummyPrefix(JsonNode root) {
        JsonNode normalizer = root.path("normalizer");
        List<JsonNode> steps = new ArrayList<>();
        if (normalizer.path("type").asText().equals("Sequence")) {
            normalizer.path("normalizers").forEach(steps::add);
        } else if (!normalizer.isMissingNode() && !normalizer.isNull()) {
            steps.add(normalizer);
        }
        boolean prepend = false;
        boolean replacesSpaces = false;
        for (JsonNode step : steps) {
            switch (step.path("type").asText()) {
                case "Prepend" -> prepend = step.path("prepend").asText().equals(SPACE);
                case "Replace" -> replacesSpaces = step.path("pattern").path("String").asText().equals(" ")
                        && step.path("content").asText().equals(SPACE);
                default -> throw new IllegalArgumentException("normalizer step '" + step.path("type").asText() + "' is not supported");
            }
        }
        JsonNode pre = root.path("pre_tokenizer");
        if (pre.path("type").asText().equals("Metaspace")) {
            String scheme = pre.path("prepend_scheme").asText(pre.path("add_prefix_space").asBoolean(true) ? "always" : "never");
            if (scheme.equals("first")) {
                throw new IllegalArgumentException("Metaspace prepend_scheme 'first' (non-legacy Llama) is not supported yet");
            }
            return scheme.equals("always");
        }
        if (!pre.isMissingNode() && !pre.isNull()) {
            throw new IllegalArgumentException("pre_tokenizer '" + pre.path("type").asText() + "' is not supported");
        }
        if (!replacesSpaces) {
            throw new IllegalArgumentException("expected the SentencePiece-style normalizer (Replace ' ' with '" + SPACE + "')");
        }
        return prepend;
    }
}
