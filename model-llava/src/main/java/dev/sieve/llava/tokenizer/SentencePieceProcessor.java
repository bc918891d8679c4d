package dev.sieve.llava.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A SentencePiece BPE model, encoding and decoding as {@code sentencepiece::SentencePieceProcessor} does
 * (no BOS/EOS, no added tokens: {@link Tokenizer} adds those).
 */
public final class SentencePieceProcessor {
    /** What SentencePiece decodes the unknown piece to (its default {@code unk_surface}, " ⁇ "). */
    static final String UNKNOWN_SURFACE = " \u2047 ";

    private final SentencePieceModel model;
    private final SentencePieceNormalizer normalizer;
    private final BpeSegmenter segmenter;
    /** NORMAL, USER_DEFINED and UNUSED pieces; the only ones BPE merges can produce. */
    private final Map<String, Integer> mergeable = new HashMap<>();
    /** UNKNOWN, CONTROL and BYTE pieces; looked up first, as in SentencePiece's PieceToId. */
    private final Map<String, Integer> reserved = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final int unkId;

    public SentencePieceProcessor(SentencePieceModel model) {
        this.model = Objects.requireNonNull(model);
        if (model.trainer().modelType() != SentencePieceModel.MODEL_TYPE_BPE) {
            throw new IllegalArgumentException("only BPE SentencePiece models are supported, not model_type "
                    + model.trainer().modelType());
        }
        List<SentencePieceModel.Piece> pieces = model.pieces();
        float[] scores = new float[pieces.size()];
        boolean[] unused = new boolean[pieces.size()];
        List<String> userDefined = new ArrayList<>();
        int unk = -1;
        for (int id = 0; id < pieces.size(); id++) {
            SentencePieceModel.Piece piece = pieces.get(id);
            scores[id] = piece.score();
            unused[id] = piece.type() == PieceType.UNUSED;
            boolean isMergeable = switch (piece.type()) {
                case NORMAL, USER_DEFINED, UNUSED -> true;
                case UNKNOWN, CONTROL, BYTE -> false;
            };
            if ((isMergeable ? mergeable : reserved).putIfAbsent(piece.text(), id) != null) {
                throw new IllegalArgumentException("duplicate piece '" + piece.text() + "' at id " + id);
            }
            if (piece.type() == PieceType.USER_DEFINED) {
                userDefined.add(piece.text());
            }
            if (piece.type() == PieceType.UNKNOWN) {
                unk = id;
            }
        }
        if (unk < 0) {
            throw new IllegalArgumentException("SentencePiece model has no unknown piece");
        }
        this.unkId = unk;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = pieceToId(bytePiece(b));
        }
        this.normalizer = new SentencePieceNormalizer(model.normalizer());
        this.segmenter = new BpeSegmenter(mergeable, scores, unused, userDefined);
    }

    public static SentencePieceProcessor load(Path modelFile) {
        return new SentencePieceProcessor(SentencePieceModelReader.read(modelFile));
    }

    public SentencePieceModel model() {
        return model;
    }

    /** Ids of {@code text}; characters outside the vocabulary become byte pieces (or unk without byte fallback). */
    public int[] encode(String text) {
        List<String> pieces = segmenter.segment(normalizer.normalize(text));
        int[] ids = new int[pieces.size() * 4]; // at most 4 UTF-8 bytes per unknown code point
        int count = 0;
        for (String piece : pieces) {
            int id = pieceToId(piece);
            if (id == unkId && model.trainer().byteFallback()) {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    if (count == ids.length) {
                        ids = Arrays.copyOf(ids, ids.length * 2);
                    }
                    ids[count++] = byteIds[b & 0xFF];
                }
            } else {
                if (count == ids.length) {
                    ids = Arrays.copyOf(ids, ids.length * 2 + 1);
                }
                ids[count++] = id;
            }
        }
        return Arrays.copyOf(ids, count);
    }

    /**
     * Text of {@code ids}: control pieces vanish, {@code ▁} becomes a space, the dummy-prefix space is dropped
     * from the first piece that is not a control piece, and runs of byte pieces are reassembled as UTF-8 (each
     * invalid byte becomes U+FFFD), all as {@code SentencePieceProcessor::Decode} does.
     */
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream pendingBytes = new ByteArrayOutputStream();
        boolean stripLeadingSpace = model.normalizer().addDummyPrefix() || model.normalizer().removeExtraWhitespaces();
        boolean firstVisiblePiece = true;
        for (int id : ids) {
            SentencePieceModel.Piece piece = pieceOf(id);
            if (piece.type() == PieceType.BYTE) {
                pendingBytes.write(byteValue(piece.text()));
                firstVisiblePiece = false;
                continue;
            }
            flushBytes(pendingBytes, text);
            switch (piece.type()) {
                case CONTROL -> { } // <s>, </s>: no surface, and they do not count as the first piece
                case UNKNOWN -> text.append(UNKNOWN_SURFACE);
                default -> {
                    String surface = piece.text();
                    // Only the very first piece carries the dummy prefix; a later "▁" is a space the text had.
                    if (firstVisiblePiece && stripLeadingSpace && surface.startsWith(SentencePieceNormalizer.SPACE_SYMBOL)) {
                        surface = surface.substring(SentencePieceNormalizer.SPACE_SYMBOL.length());
                    }
                    text.append(surface.replace(SentencePieceNormalizer.SPACE_SYMBOL, " "));
                }
            }
            if (piece.type() != PieceType.CONTROL) {
                firstVisiblePiece = false;
            }
        }
        flushBytes(pendingBytes, text);
        return text.toString();
    }

    /** The id of a piece, or the unknown id when there is none (SentencePiece's PieceToId). */
    public int pieceToId(String piece) {
        Integer id = reserved.get(piece);
        if (id == null) {
            id = mergeable.get(piece);
        }
        return id != null ? id : unkId;
    }

    public String idToPiece(int id) {
        return pieceOf(id).text();
    }

    public PieceType pieceType(int id) {
        return pieceOf(id).type();
    }

    public int vocabSize() {
        return model.pieces().size();
    }

    public int unkId() {
        return unkId;
    }

    public int bosId() {
        return model.trainer().bosId();
    }

    public int eosId() {
        return model.trainer().eosId();
    }

    public int padId() {
        return model.trainer().padId();
    }

    private SentencePieceModel.Piece pieceOf(int id) {
        if (id < 0 || id >= model.pieces().size()) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + model.pieces().size() + ")");
        }
        return model.pieces().get(id);
    }

    static String bytePiece(int b) {
        return String.format("<0x%02X>", b);
    }

    private static int byteValue(String bytePiece) {
        // "<0xNN>": validated here because a corrupt byte piece would otherwise decode to garbage silently.
        if (bytePiece.length() != 6 || !bytePiece.startsWith("<0x") || !bytePiece.endsWith(">")) {
            throw new IllegalArgumentException("malformed byte piece '" + bytePiece + "'");
        }
        return Integer.parseInt(bytePiece.substring(3, 5), 16);
    }

    /** Decodes a run of byte pieces; like SentencePiece, every byte of an invalid sequence becomes U+FFFD. */
    private static void flushBytes(ByteArrayOutputStream pending, StringBuilder text) {
        if (pending.size() == 0) {
            return;
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(pending.toByteArray());
        CharBuffer out = CharBuffer.allocate(in.remaining() * 2 + 2);
        while (true) {
            CoderResult result = in.hasRemaining() ? decoder.decode(in, out, true) : CoderResult.UNDERFLOW;
            if (result.isError()) {
                for (int i = 0; i < result.length(); i++) {
                    out.put('\uFFFD');
                }
                in.position(in.position() + result.length());
            } else {
                break;
            }
        }
        decoder.flush(out);
        out.flip();
        text.append(out);
        pending.reset();
    }
}
