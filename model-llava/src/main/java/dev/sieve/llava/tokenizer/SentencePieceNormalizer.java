package dev.sieve.llava.tokenizer;

/**
 * SentencePiece's text normaliser for models with the identity rule (Llama 2): no Unicode normalisation,
 * only the whitespace handling of {@code NormalizerSpec}. Only U+0020 counts as a space; tabs and newlines
 * are ordinary characters (Llama 2 emits them as byte pieces).
 */
final class SentencePieceNormalizer {
    /** U+2581 LOWER ONE EIGHTH BLOCK: how SentencePiece writes a space inside pieces. */
    static final String SPACE_SYMBOL = "\u2581";

    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final String space;

    SentencePieceNormalizer(SentencePieceModel.Normalizer spec) {
        // A compiled charsmap means NFKC-like rewriting we do not implement; refusing beats silently
        // producing ids that differ from SentencePiece.
        if (spec.precompiledCharsmapSize() != 0) {
            throw new IllegalArgumentException("normalizer '" + spec.name()
                    + "' has a precompiled charsmap; only identity normalisation is supported");
        }
        this.addDummyPrefix = spec.addDummyPrefix();
        this.removeExtraWhitespaces = spec.removeExtraWhitespaces();
        this.space = spec.escapeWhitespaces() ? SPACE_SYMBOL : " ";
    }

    /** Mirrors {@code Normalizer::Normalize} of SentencePiece, code point by code point. */
    String normalize(String text) {
        int start = 0;
        if (removeExtraWhitespaces) {
            while (start < text.length() && text.charAt(start) == ' ') {
                start++;
            }
        }
        // Empty (or all-space) input stays empty: no dummy prefix on nothing.
        if (start == text.length()) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 8);
        if (addDummyPrefix) {
            // So the first word is "▁word", the same piece it is in the middle of a sentence.
            out.append(space);
        }
        boolean previousWasSpace = removeExtraWhitespaces;
        for (int i = start; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == ' ') {
                if (!previousWasSpace) {
                    out.append(space);
                }
                previousWasSpace = removeExtraWhitespaces;
            } else {
                out.appendCodePoint(cp);
                previousWasSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            while (out.length() >= space.length() && out.lastIndexOf(space) == out.length() - space.length()) {
                out.setLength(out.length() - space.length());
            }
        }
        return out.toString();
    }
}
