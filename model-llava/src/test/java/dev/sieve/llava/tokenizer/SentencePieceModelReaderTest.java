package dev.sieve.llava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class SentencePieceModelReaderTest {

    @Test
    void readsTheTinyModelsSpecs() {
        SentencePieceModel model = SentencePieceModelReader.read(Goldens.resource(Goldens.TINY_MODEL));
        assertThat(model.pieces()).hasSize(500);
        assertThat(model.trainer().modelType()).isEqualTo(SentencePieceModel.MODEL_TYPE_BPE);
        assertThat(model.trainer().vocabSize()).isEqualTo(500);
        assertThat(model.trainer().byteFallback()).isTrue();
        assertThat(model.trainer().unkId()).isZero();
        assertThat(model.trainer().bosId()).isEqualTo(1);
        assertThat(model.trainer().eosId()).isEqualTo(2);
        assertThat(model.normalizer().name()).isEqualTo("identity");
        assertThat(model.normalizer().precompiledCharsmapSize()).isZero();
        assertThat(model.normalizer().addDummyPrefix()).isTrue();
        assertThat(model.normalizer().removeExtraWhitespaces()).isFalse();
        assertThat(model.normalizer().escapeWhitespaces()).isTrue();
        assertThat(model.pieces().get(0)).isEqualTo(new SentencePieceModel.Piece("<unk>", 0f, PieceType.UNKNOWN));
        assertThat(model.pieces().get(1).type()).isEqualTo(PieceType.CONTROL);
        assertThat(model.pieces().get(3)).isEqualTo(new SentencePieceModel.Piece("<sep>", 0f, PieceType.USER_DEFINED));
        assertThat(model.pieces().get(4 + 0x41)).isEqualTo(new SentencePieceModel.Piece("<0x41>", 0f, PieceType.BYTE));
        assertThat(model.pieces().get(260).type()).isEqualTo(PieceType.NORMAL);
        assertThat(model.pieces().get(260).score()).isLessThan(0f);
    }

    @Test
    void readsTheLlama2ModelsSpecs() {
        Assumptions.assumeTrue(Files.exists(Goldens.llama2Model()), "skipped: " + Goldens.llama2Model() + " not found");
        SentencePieceModel model = SentencePieceModelReader.read(Goldens.llama2Model());
        assertThat(model.pieces()).hasSize(32000);
        assertThat(model.trainer().modelType()).isEqualTo(SentencePieceModel.MODEL_TYPE_BPE);
        assertThat(model.trainer().byteFallback()).isTrue();
        assertThat(model.trainer().unkId()).isZero();
        assertThat(model.trainer().bosId()).isEqualTo(1);
        assertThat(model.trainer().eosId()).isEqualTo(2);
        assertThat(model.trainer().padId()).isEqualTo(-1);
        assertThat(model.normalizer().name()).isEqualTo("identity");
        assertThat(model.normalizer().addDummyPrefix()).isTrue();
        assertThat(model.normalizer().removeExtraWhitespaces()).isFalse();
        assertThat(model.pieces().get(13)).isEqualTo(new SentencePieceModel.Piece("<0x0A>", 0f, PieceType.BYTE));
        assertThat(model.pieces().get(15043).text()).isEqualTo("\u2581Hello");
    }

    @Test
    void rejectsMalformedBytes() {
        // Field 1, length-delimited, claiming 100 bytes that are not there.
        assertThatThrownBy(() -> SentencePieceModelReader.read(new byte[] {0x0a, 100, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed SentencePiece model");
    }

    @Test
    void rejectsNonBpeModels() {
        SentencePieceModel unigram = new SentencePieceModel(
                java.util.List.of(new SentencePieceModel.Piece("<unk>", 0f, PieceType.UNKNOWN)),
                SentencePieceModel.Trainer.defaults(), SentencePieceModel.Normalizer.defaults());
        assertThatThrownBy(() -> new SentencePieceProcessor(unigram))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only BPE");
    }
}
