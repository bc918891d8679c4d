package dev.sieve.llava.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The LLaVA-1.5 text tokenizer: a SentencePiece BPE model (Llama 2's) plus added tokens on top, such as
 * llava-hf's {@code <image>} = 32000 and {@code <pad>} = 32001.
 *
 * <p>Added tokens are found literally in the text before BPE and are never split. The text between them is
 * encoded by SentencePiece segment by segment, each segment on its own (so each non-empty segment gets the
 * dummy-prefix space): this is what LLaVA's {@code tokenizer_image_token} does when it splits a prompt at
 * {@code <image>} and tokenises the chunks separately.
 */
public final class Tokenizer {
    /** The tokens llava-hf's LLaVA-1.5 checkpoints add to Llama 2's 32,000 pieces. */
    public static final SequencedMap<String, Integer> LLAVA_ADDED_TOKENS = llavaAddedTokens();

    private final SentencePieceProcessor sentencePiece;
    private final Map<String, Integer> addedTokenIds;
    private final Map<Integer, String> addedTokenTexts = new HashMap<>();
    /** Longest first, so that of two added tokens matching at one position the longer wins. */
    private final List<String> addedTokensLongestFirst;
    private final int vocabSize;

    public Tokenizer(SentencePieceProcessor sentencePiece, Map<String, Integer> addedTokens) {
        this.sentencePiece = sentencePiece;
        this.addedTokenIds = Map.copyOf(addedTokens);
        int size = sentencePiece.vocabSize();
        for (Map.Entry<String, Integer> token : addedTokens.entrySet()) {
            int id = token.getValue();
            if (token.getKey().isEmpty()) {
                throw new IllegalArgumentException("an added token cannot be empty");
            }
            // Added tokens extend the vocabulary; reusing a SentencePiece id would make decoding ambiguous.
            if (id < sentencePiece.vocabSize() || addedTokenTexts.put(id, token.getKey()) != null) {
                throw new IllegalArgumentException("added token '" + token.getKey() + "' has id " + id
                        + ", which is taken (SentencePiece has " + sentencePiece.vocabSize() + " pieces)");
            }
            size = Math.max(size, id + 1);
        }
        this.vocabSize = size;
        this.addedTokensLongestFirst = new ArrayList<>(addedTokens.keySet());
        this.addedTokensLongestFirst.sort(Comparator.comparingInt(String::length).reversed());
    }

    /** A tokenizer with no added tokens. */
    public static Tokenizer load(Path sentencePieceModel) {
        return load(sentencePieceModel, Map.of());
    }

    public static Tokenizer load(Path sentencePieceModel, Map<String, Integer> addedTokens) {
        return new Tokenizer(SentencePieceProcessor.load(sentencePieceModel), addedTokens);
    }

    /** Llama 2's {@code tokenizer.model} with llava-hf's {@link #LLAVA_ADDED_TOKENS}. */
    public static Tokenizer llava(Path llamaTokenizerModel) {
        return load(llamaTokenizerModel, LLAVA_ADDED_TOKENS);
    }

    public int[] encode(String text, boolean addBos) {
        int[] ids = new int[16];
        int count = 0;
        if (addBos) {
            if (bosId() < 0) {
                throw new IllegalStateException("the SentencePiece model defines no BOS token");
            }
            ids[count++] = bosId();
        }
        int segmentStart = 0;
        int i = 0;
        while (i <= text.length()) {
            String added = i < text.length() ? addedTokenAt(text, i) : null;
            if (added == null && i < text.length()) {
                i++;
                continue;
            }
            // End of a plain-text segment: at an added token or at the end of the text.
            int[] segment = sentencePiece.encode(text.substring(segmentStart, i));
            if (count + segment.length + 1 > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, count + segment.length + 1));
            }
            System.arraycopy(segment, 0, ids, count, segment.length);
            count += segment.length;
            if (added == null) {
                break;
            }
            ids[count++] = addedTokenIds.get(added);
            i += added.length();
            segmentStart = i;
        }
        return Arrays.copyOf(ids, count);
    }

    /** Text of {@code ids}; added tokens decode to their literal text, BOS/EOS to nothing. */
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        int runStart = 0;
        for (int i = 0; i <= ids.length; i++) {
            String added = i < ids.length ? addedTokenTexts.get(ids[i]) : null;
            if (i < ids.length && added == null) {
                continue;
            }
            // A run of SentencePiece ids ends here; decode it as a whole so byte pieces reassemble.
            text.append(sentencePiece.decode(Arrays.copyOfRange(ids, runStart, i)));
            if (added != null) {
                text.append(added);
            }
            runStart = i + 1;
        }
        return text.toString();
    }

    /** The id of a piece or added token; the unknown id when neither exists (as SentencePiece does). */
    public int pieceToId(String piece) {
        Integer added = addedTokenIds.get(piece);
        return added != null ? added : sentencePiece.pieceToId(piece);
    }

    public String idToPiece(int id) {
        String added = addedTokenTexts.get(id);
        return added != null ? added : sentencePiece.idToPiece(id);
    }

    public int bosId() {
        return sentencePiece.bosId();
    }

    public int eosId() {
        return sentencePiece.eosId();
    }

    public int unkId() {
        return sentencePiece.unkId();
    }

    /** SentencePiece pieces plus added tokens (32,002 for LLaVA-1.5). */
    public int vocabSize() {
        return vocabSize;
    }

    public SentencePieceProcessor sentencePiece() {
        return sentencePiece;
    }

    private String addedTokenAt(String text, int index) {
        for (String token : addedTokensLongestFirst) {
            if (text.startsWith(token, index)) {
                return token;
            }
        }
        return null;
    }

    private static SequencedMap<String, Integer> llavaAddedTokens() {
        LinkedHashMap<String, Integer> tokens = new LinkedHashMap<>();
        tokens.put("<image>", 32000);
        tokens.put("<pad>", 32001);
        return java.util.Collections.unmodifiableSequencedMap(tokens);
    }
}
