package dev.sieve.llava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Our ids and decoded text must equal SentencePiece's own (python3-sentencepiece) for every golden. */
class SentencePieceGoldenTest {

    @Test
    void tinyModelMatchesSentencePiece() {
        List<Goldens.Golden> goldens = Goldens.read(Goldens.TINY_GOLDENS);
        assertMatches(SentencePieceProcessor.load(Goldens.resource(Goldens.TINY_MODEL)), goldens);
    }

    @Test
    void llama2MatchesSentencePiece() {
        Assumptions.assumeTrue(Files.exists(Goldens.llama2Model()),
                "skipped: " + Goldens.llama2Model() + " not found");
        List<Goldens.Golden> goldens = Goldens.read(Goldens.LLAMA2_GOLDENS);
        assertMatches(SentencePieceProcessor.load(Goldens.llama2Model()), goldens);
    }

    @Test
    void tinyModelDecodesAsSentencePiece() {
        assertDecodes(SentencePieceProcessor.load(Goldens.resource(Goldens.TINY_MODEL)), Goldens.read(Goldens.TINY_GOLDENS));
    }

    @Test
    void llama2DecodesAsSentencePiece() {
        Assumptions.assumeTrue(Files.exists(Goldens.llama2Model()),
                "skipped: " + Goldens.llama2Model() + " not found");
        assertDecodes(SentencePieceProcessor.load(Goldens.llama2Model()), Goldens.read(Goldens.LLAMA2_GOLDENS));
    }

    @Test
    void tinyModelRoundTrips() {
        assertRoundTrips(SentencePieceProcessor.load(Goldens.resource(Goldens.TINY_MODEL)), Goldens.read(Goldens.TINY_GOLDENS));
    }

    @Test
    void llama2RoundTrips() {
        Assumptions.assumeTrue(Files.exists(Goldens.llama2Model()),
                "skipped: " + Goldens.llama2Model() + " not found");
        assertRoundTrips(SentencePieceProcessor.load(Goldens.llama2Model()), Goldens.read(Goldens.LLAMA2_GOLDENS));
    }

    /** Collects every mismatch so one run shows all of them, not just the first. */
    private static void assertMatches(SentencePieceProcessor sp, List<Goldens.Golden> goldens) {
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (Goldens.Golden golden : goldens) {
            if (!golden.hasText()) {
                continue;
            }
            checked++;
            int[] actual = sp.encode(golden.text());
            if (!Arrays.equals(actual, golden.ids())) {
                mismatches.add(escape(golden.text()) + ": expected " + Arrays.toString(golden.ids()) + " got " + Arrays.toString(actual));
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(checked).isGreaterThan(200);
    }

    private static void assertDecodes(SentencePieceProcessor sp, List<Goldens.Golden> goldens) {
        List<String> mismatches = new ArrayList<>();
        for (Goldens.Golden golden : goldens) {
            String actual = sp.decode(golden.ids());
            if (!actual.equals(golden.decoded())) {
                mismatches.add(Arrays.toString(golden.ids()) + ": expected " + escape(golden.decoded()) + " got " + escape(actual));
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(goldens).hasSizeGreaterThan(300);
    }

    /**
     * With the identity normaliser nothing is lost, so decoding gives the text back; the one exception is a
     * literal U+2581, which is SentencePiece's own space marker and decodes to a space.
     */
    private static void assertRoundTrips(SentencePieceProcessor sp, List<Goldens.Golden> goldens) {
        List<String> failures = new ArrayList<>();
        for (Goldens.Golden golden : goldens) {
            String text = golden.text();
            if (text == null || text.contains(SentencePieceNormalizer.SPACE_SYMBOL)) {
                continue;
            }
            String decoded = sp.decode(sp.encode(text));
            if (!decoded.equals(text)) {
                failures.add(escape(text) + " -> " + escape(decoded));
            }
        }
        assertThat(failures).isEmpty();
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp > 0x7e) {
                out.append(String.format("\\u{%x}", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.append('"').toString();
    }
}
