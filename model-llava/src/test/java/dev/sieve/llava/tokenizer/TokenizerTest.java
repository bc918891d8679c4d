package dev.sieve.llava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TokenizerTest {
    private static final int IMAGE = 500;

    private static Tokenizer tiny() {
        return Tokenizer.load(Goldens.resource(Goldens.TINY_MODEL), Map.of("<image>", IMAGE, "<image><image>", 501));
    }

    private static Tokenizer llava() {
        Assumptions.assumeTrue(Files.exists(Goldens.llama2Model()), "skipped: " + Goldens.llama2Model() + " not found");
        return Tokenizer.llava(Goldens.llama2Model());
    }

    @Test
    void knownLlama2Ids() {
        Tokenizer tokenizer = llava();
        assertThat(tokenizer.encode("Hello world", true)).containsExactly(1, 15043, 3186);
        assertThat(tokenizer.encode("Hello world", false)).containsExactly(15043, 3186);
        assertThat(tokenizer.encode("", true)).containsExactly(1);
        assertThat(tokenizer.decode(new int[] {1, 15043, 3186, 2})).isEqualTo("Hello world");
        assertThat(tokenizer.idToPiece(15043)).isEqualTo("\u2581Hello");
        assertThat(tokenizer.pieceToId("<0x0A>")).isEqualTo(13);
        assertThat(tokenizer.pieceToId("no such piece")).isEqualTo(tokenizer.unkId()).isZero();
        assertThat(tokenizer.bosId()).isEqualTo(1);
        assertThat(tokenizer.eosId()).isEqualTo(2);
        assertThat(tokenizer.vocabSize()).isEqualTo(32002);
        assertThat(tokenizer.sentencePiece().vocabSize()).isEqualTo(32000);
    }

    @Test
    void llavaPromptSplitsAtTheImageToken() {
        Tokenizer tokenizer = llava();
        // SentencePiece on "USER: " and "\nWhat is this?" separately, with <image> between (tokenizer_image_token).
        int[] ids = tokenizer.encode("USER: <image>\nWhat is this?", true);
        assertThat(ids).containsExactly(1, 3148, 1001, 29901, 29871, 32000, 29871, 13, 5618, 338, 445, 29973);
        assertThat(tokenizer.decode(ids)).isEqualTo("USER: <image>\nWhat is this?");
        assertThat(tokenizer.pieceToId("<image>")).isEqualTo(32000);
        assertThat(tokenizer.idToPiece(32001)).isEqualTo("<pad>");
        assertThat(tokenizer.encode("<image><pad>", false)).containsExactly(32000, 32001);
    }

    @Test
    void byteFallbackDecodesBackToUtf8() {
        Tokenizer tokenizer = llava();
        // Byte pieces that do not form valid UTF-8 become U+FFFD, one per byte, as SentencePiece decodes them.
        assertThat(tokenizer.decode(new int[] {15043, 4 + 0xE4, 4 + 0x84, 3186})).isEqualTo("Hello\uFFFD\uFFFD world");
        assertThat(tokenizer.decode(new int[] {0})).isEqualTo(" \u2047 ");
        assertThat(tokenizer.decode(tokenizer.encode("emoji 👨‍👩‍👧 and 日本語", true))).isEqualTo("emoji 👨‍👩‍👧 and 日本語");
    }

    @Test
    void addedTokensAreMatchedLiterallyAndNotSplit() {
        Tokenizer tokenizer = tiny();
        SentencePieceProcessor sp = tokenizer.sentencePiece();
        assertThat(tokenizer.encode("a<image>b", false))
                .containsExactly(concat(sp.encode("a"), new int[] {IMAGE}, sp.encode("b")));
        assertThat(tokenizer.encode("<image>", true)).containsExactly(1, IMAGE);
        // The longer added token wins where both match.
        assertThat(tokenizer.encode("<image><image><image>", false)).containsExactly(501, IMAGE);
        assertThat(tokenizer.encode("x <image", false)).containsExactly(sp.encode("x <image"));
        assertThat(tokenizer.decode(tokenizer.encode("see <image> here\n<image>", true))).isEqualTo("see <image> here\n<image>");
        assertThat(tokenizer.vocabSize()).isEqualTo(502);
    }

    @Test
    void userDefinedPiecesAreNeverSplit() {
        Tokenizer tokenizer = Tokenizer.load(Goldens.resource(Goldens.TINY_MODEL));
        int sep = tokenizer.pieceToId("<sep>");
        assertThat(sep).isEqualTo(3);
        assertThat(tokenizer.encode("a<sep>b", false)).contains(sep);
        assertThat(tokenizer.decode(tokenizer.encode("a<sep>b", false))).isEqualTo("a<sep>b");
    }

    @Test
    void rejectsBadIdsAndClashingAddedTokens() {
        Tokenizer tokenizer = tiny();
        assertThatThrownBy(() -> tokenizer.decode(new int[] {502})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tokenizer.decode(new int[] {-1})).isInstanceOf(IllegalArgumentException.class);
        SentencePieceProcessor sp = tokenizer.sentencePiece();
        assertThatThrownBy(() -> new Tokenizer(sp, Map.of("<image>", 7))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Tokenizer(sp, Map.of("", 600))).isInstanceOf(IllegalArgumentException.class);
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }
}
