package dev.sieve.llava.tokenizer;

/** The kind of a vocabulary entry, as SentencePiece's {@code ModelProto.SentencePiece.Type} numbers it. */
public enum PieceType {
    /** An ordinary piece that BPE merges can produce. */
    NORMAL(1),
    /** The piece unknown text maps to when byte fallback is off ({@code <unk>}). */
    UNKNOWN(2),
    /** Invisible markers such as {@code <s>} and {@code </s>}: never produced from text, decoded to nothing. */
    CONTROL(3),
    /** Pieces matched literally in the text before BPE and never split or merged. */
    USER_DEFINED(4),
    /** Pieces kept in the vocabulary but not emitted: a merge that reaches one is undone again. */
    UNUSED(5),
    /** {@code <0xNN>}: one UTF-8 byte, for characters the vocabulary lacks (byte fallback). */
    BYTE(6);

    private final int wireValue;

    PieceType(int wireValue) {
        this.wireValue = wireValue;
    }

    /** The type for a wire value; an unknown value is an error rather than a guess, since it changes tokenisation. */
    static PieceType fromWire(int value) {
        for (PieceType type : values()) {
            if (type.wireValue == value) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown SentencePiece piece type " + value);
    }
}
