package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.pruning.LvPruning;
import dev.sieve.pruning.pipeline.ModelShape;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sieve synth --lvpruning: random modules in the trained modules' layout, loadable for a model of the same dims only. */
class SyntheticLvPruningTest {
    @TempDir
    Path dir;

    @Test
    void writesModulesTheStageLoadsAndPlacesThemByTheQuarterAndTheHalf() {
        SyntheticCheckpoint.Shape shape = SyntheticCheckpoint.LLAVA_15_7B.withTextLayers(8);
        SyntheticCheckpoint.writeLvPruning(dir, shape, 1);
        ModelShape model = new ModelShape(23, 576, 1024, 8, 4096, 576, dir);
        LvPruning stage = LvPruning.load(dir.resolve("lvpruning"), model);
        assertThat(stage.layers()).containsExactly(1, 3);
        assertThat(stage.budgets()).containsExactly(288, 57);
        assertThat(stage.modules()).hasSize(2);
        float[] logits = LvPruning.logits(stage.modules().get(0), new float[3 * 4096], 3, new float[2 * 4096], 2);
        assertThat(logits).hasSize(6);
        assertThatThrownBy(() -> LvPruning.load(dir.resolve("lvpruning"), new ModelShape(23, 576, 1024, 8, 5120, 576, dir)))
                .hasMessageContaining("hidden_size 4096 but the model's LLM width is 5120");
        assertThatThrownBy(() -> SyntheticCheckpoint.writeLvPruning(dir, SyntheticCheckpoint.LLAVA_15_7B.withTextLayers(2), 1))
                .hasMessageContaining("at least 3 decoder layers");
    }
}
