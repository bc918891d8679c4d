package dev.sieve.llava.tokenizer;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a SentencePiece {@code tokenizer.model} with protobuf's wire reader, field number by field number,
 * so no generated classes (and no copy of {@code sentencepiece_model.proto}) are needed. Fields this runtime
 * does not use are skipped; the numbers below are those of {@code sentencepiece_model.proto}.
 */
public final class SentencePieceModelReader {
    // ModelProto
    private static final int MODEL_PIECES = 1;
    private static final int MODEL_TRAINER_SPEC = 2;
    private static final int MODEL_NORMALIZER_SPEC = 3;
    // ModelProto.SentencePiece
    private static final int PIECE_TEXT = 1;
    private static final int PIECE_SCORE = 2;
    private static final int PIECE_TYPE = 3;
    // TrainerSpec
    private static final int TRAINER_MODEL_TYPE = 3;
    private static final int TRAINER_VOCAB_SIZE = 4;
    private static final int TRAINER_BYTE_FALLBACK = 35;
    private static final int TRAINER_UNK_ID = 40;
    private static final int TRAINER_BOS_ID = 41;
    private static final int TRAINER_EOS_ID = 42;
    private static final int TRAINER_PAD_ID = 43;
    // NormalizerSpec
    private static final int NORMALIZER_NAME = 1;
    private static final int NORMALIZER_PRECOMPILED_CHARSMAP = 2;
    private static final int NORMALIZER_ADD_DUMMY_PREFIX = 3;
    private static final int NORMALIZER_REMOVE_EXTRA_WHITESPACES = 4;
    private static final int NORMALIZER_ESCAPE_WHITESPACES = 5;

    private SentencePieceModelReader() {}

    public static SentencePieceModel read(Path file) {
        try {
            return read(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read SentencePiece model " + file, e);
        }
    }

    public static SentencePieceModel read(byte[] bytes) {
        try {
            return readModel(CodedInputStream.newInstance(bytes));
        } catch (IOException e) {
            // The input is in memory, so an IOException here means a malformed protobuf.
            throw new IllegalArgumentException("malformed SentencePiece model: " + e.getMessage(), e);
        }
    }

    private static SentencePieceModel readModel(CodedInputStream in) throws IOException {
        List<SentencePieceModel.Piece> pieces = new ArrayList<>();
        SentencePieceModel.Trainer trainer = SentencePieceModel.Trainer.defaults();
        SentencePieceModel.Normalizer normalizer = SentencePieceModel.Normalizer.defaults();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case MODEL_PIECES -> pieces.add(readPiece(in.readBytes().newCodedInput()));
                case MODEL_TRAINER_SPEC -> trainer = readTrainer(in.readBytes().newCodedInput());
                case MODEL_NORMALIZER_SPEC -> normalizer = readNormalizer(in.readBytes().newCodedInput());
                default -> in.skipField(tag);
            }
        }
        return new SentencePieceModel(pieces, trainer, normalizer);
    }

    private static SentencePieceModel.Piece readPiece(CodedInputStream in) throws IOException {
        String text = "";
        float score = 0f;
        PieceType type = PieceType.NORMAL;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case PIECE_TEXT -> text = in.readStringRequireUtf8();
                case PIECE_SCORE -> score = in.readFloat();
                case PIECE_TYPE -> type = PieceType.fromWire(in.readEnum());
                default -> in.skipField(tag);
            }
        }
        return new SentencePieceModel.Piece(text, score, type);
    }

    private static SentencePieceModel.Trainer readTrainer(CodedInputStream in) throws IOException {
        SentencePieceModel.Trainer d = SentencePieceModel.Trainer.defaults();
        int modelType = d.modelType(), vocabSize = d.vocabSize(), unk = d.unkId(), bos = d.bosId(), eos = d.eosId(), pad = d.padId();
        boolean byteFallback = d.byteFallback();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case TRAINER_MODEL_TYPE -> modelType = in.readEnum();
                case TRAINER_VOCAB_SIZE -> vocabSize = in.readInt32();
                case TRAINER_BYTE_FALLBACK -> byteFallback = in.readBool();
                case TRAINER_UNK_ID -> unk = in.readInt32();
                case TRAINER_BOS_ID -> bos = in.readInt32();
                case TRAINER_EOS_ID -> eos = in.readInt32();
                case TRAINER_PAD_ID -> pad = in.readInt32();
                default -> in.skipField(tag);
            }
        }
        return new SentencePieceModel.Trainer(modelType, vocabSize, byteFallback, unk, bos, eos, pad);
    }

    private static SentencePieceModel.Normalizer readNormalizer(CodedInputStream in) throws IOException {
        SentencePieceModel.Normalizer d = SentencePieceModel.Normalizer.defaults();
        String name = d.name();
        int charsmapSize = d.precompiledCharsmapSize();
        boolean dummyPrefix = d.addDummyPrefix(), removeExtra = d.removeExtraWhitespaces(), escape = d.escapeWhitespaces();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NORMALIZER_NAME -> name = in.readStringRequireUtf8();
                case NORMALIZER_PRECOMPILED_CHARSMAP -> charsmapSize = in.readBytes().size();
                case NORMALIZER_ADD_DUMMY_PREFIX -> dummyPrefix = in.readBool();
                case NORMALIZER_REMOVE_EXTRA_WHITESPACES -> removeExtra = in.readBool();
                case NORMALIZER_ESCAPE_WHITESPACES -> escape = in.readBool();
                default -> in.skipField(tag);
            }
        }
        return new SentencePieceModel.Normalizer(name, charsmapSize, dummyPrefix, removeExtra, escape);
    }
}
