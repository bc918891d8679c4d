package dev.sieve.llava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SentencePieceNormalizerTest {
    private static SentencePieceNormalizer normalizer(boolean dummyPrefix, boolean removeExtra, boolean escape) {
        return new SentencePieceNormalizer(new SentencePieceModel.Normalizer("identity", 0, dummyPrefix, removeExtra, escape));
    }

    @Test
    void llama2KeepsEverySpace() {
        SentencePieceNormalizer llama = normalizer(true, false, true);
        assertThat(llama.normalize("Hello  world ")).isEqualTo("▁Hello▁▁world▁");
        assertThat(llama.normalize(" a\tb\n")).isEqualTo("▁▁a\tb\n");
        assertThat(llama.normalize("")).isEmpty();
    }

    @Test
    void removeExtraWhitespacesTrimsAndCollapses() {
        assertThat(normalizer(true, true, true).normalize("  a   b  ")).isEqualTo("▁a▁b");
        assertThat(normalizer(true, true, true).normalize("   ")).isEmpty();
        assertThat(normalizer(false, true, false).normalize(" a  b ")).isEqualTo("a b");
    }

    @Test
    void withoutDummyPrefixNothingIsPrepended() {
        assertThat(normalizer(false, false, true).normalize("a b")).isEqualTo("a▁b");
    }

    @Test
    void refusesCompiledNormalisationRules() {
        assertThatThrownBy(() -> new SentencePieceNormalizer(new SentencePieceModel.Normalizer("nmt_nfkc", 1000, true, true, true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only identity");
    }
}
