package dev.sieve.llava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * tokenizer.json (as transformers' converter writes it for a SentencePiece BPE model; made by
 * tools/make-tokenizer-json.py) must tokenise exactly like the SentencePiece model it came from:
 * the python3-sentencepiece goldens of the committed tiny model.
 */
class TokenizerJsonTest {
    private static final String JSON = "tiny-bpe.tokenizer.json";

    @Test
    void encodesAndDecodesLikeSentencePieceOnEveryGolden() {
        Tokenizer tok = TokenizerJson.load(Goldens.resource(JSON), Map.of());
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (Goldens.Golden g : Goldens.read(Goldens.TINY_GOLDENS)) {
            if (g.hasText()) {
                checked++;
                int[] ids = tok.encode(g.text(), false);
                if (!Arrays.equals(ids, g.ids())) {
                    mismatches.add(SentencePieceGoldenTest.escape(g.text()) + ": expected " + Arrays.toString(g.ids()) + " got " + Arrays.toString(ids));
                }
            }
            String decoded = tok.decode(g.ids());
            if (!decoded.equals(g.decoded())) {
                mismatches.add(Arrays.toString(g.ids()) + " decodes to " + SentencePieceGoldenTest.escape(decoded));
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(checked).isGreaterThan(200);
        assertThat(tok.bosId()).isEqualTo(1);
        assertThat(tok.eosId()).isEqualTo(2);
    }

    @Test
    void addedTokensPastTheVocabularyAreMatchedLiterally() throws Exception {
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(Goldens.resource(JSON).toFile());
        int size = root.path("model").path("vocab").size();
        ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("added_tokens")).addObject().put("id", size).put("content", "<image>")
                .put("special", true);
        Tokenizer tok = TokenizerJson.parse(root, Map.of("<pad>", size + 1));
        int[] ids = tok.encode("USER: <image>\nHi", true);
        assertThat(Arrays.stream(ids).filter(i -> i == size).count()).isEqualTo(1);
        assertThat(tok.pieceToId("<pad>")).isEqualTo(size + 1);
        assertThat(tok.decode(ids)).isEqualTo("USER: <image>\nHi");
    }

    @Test
    void refusesWhatItCannotReproduce() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode broken = (ObjectNode) json.readTree(Goldens.resource(JSON).toFile());
        ((com.fasterxml.jackson.databind.node.ArrayNode) broken.path("model").get("merges")).insert(0, "zq xj");
        assertThatThrownBy(() -> TokenizerJson.parse(broken, Map.of())).hasMessage("merge 0 forms 'zqxj', which is not in the vocab");

        ObjectNode metaspace = (ObjectNode) json.readTree(Goldens.resource(JSON).toFile());
        metaspace.putNull("normalizer");
        metaspace.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "\u2581").put("prepend_scheme", "first");
        assertThatThrownBy(() -> TokenizerJson.parse(metaspace, Map.of())).hasMessageContaining("prepend_scheme 'first'");

        ObjectNode unigram = (ObjectNode) json.readTree(Goldens.resource(JSON).toFile());
        ((ObjectNode) unigram.get("model")).put("type", "Unigram");
        assertThatThrownBy(() -> TokenizerJson.parse(unigram, Map.of())).hasMessageContaining("only BPE");
    }
}
