package dev.sieve.llava.tokenizer;

import java.util.List;

/**
 * The parts of a SentencePiece {@code tokenizer.model} (a {@code ModelProto}) that encoding and decoding
 * need. Fields absent from the file hold the proto2 defaults of {@code sentencepiece_model.proto}.
 *
 * @param pieces the vocabulary; a piece's index is its id
 * @param trainer the training settings that still matter at run time
 * @param normalizer how text is normalised before segmentation
 */
public record SentencePieceModel(List<Piece> pieces, Trainer trainer, Normalizer normalizer) {

    /** {@code TrainerSpec.ModelType.BPE}; the only model type this runtime encodes. */
    public static final int MODEL_TYPE_BPE = 2;

    public SentencePieceModel {
        pieces = List.copyOf(pieces);
    }

    /** One vocabulary entry: its text (with {@code ▁} for spaces), its merge priority, its kind. */
    public record Piece(String text, float score, PieceType type) {}

    /**
     * {@code TrainerSpec} fields used at run time.
     *
     * @param modelType 1 unigram, 2 BPE, 3 word, 4 char
     * @param byteFallback whether unknown characters become {@code <0xNN>} byte pieces instead of unk
     * @param unkId id of the unknown piece
     * @param bosId id of begin-of-sequence, or -1
     * @param eosId id of end-of-sequence, or -1
     * @param padId id of padding, or -1
     */
    public record Trainer(int modelType, int vocabSize, boolean byteFallback, int unkId, int bosId, int eosId, int padId) {
        static Trainer defaults() {
            return new Trainer(1, 8000, false, 0, 1, 2, -1);
        }
    }

    /**
     * {@code NormalizerSpec} fields.
     *
     * @param name the rule name ("identity" for Llama 2)
     * @param precompiledCharsmapSize length of the compiled normalisation map; non-zero means NFKC-like rules
     * @param addDummyPrefix whether a space is put in front of the text, so a first word matches its mid-text piece
     * @param removeExtraWhitespaces whether leading, trailing and repeated spaces are dropped
     * @param escapeWhitespaces whether spaces become {@code ▁} (U+2581)
     */
    public record Normalizer(String name, int precompiledCharsmapSize, boolean addDummyPrefix,
                             boolean removeExtraWhitespaces, boolean escapeWhitespaces) {
        static Normalizer defaults() {
            return new Normalizer("", 0, true, true, true);
        }
    }
}
