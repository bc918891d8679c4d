package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerProgressTest {
    private static final Path EXAMPLE = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize()
            .resolve("examples/tiny-llava");

    @Test
    void reportsEveryVisionLayerAndEveryPrefillLayerButNotDecodeSteps() {
        List<String> events = new ArrayList<>();
        try (Llava llava = Llava.load(EXAMPLE); ExecutionContext ctx = ExecutionContext.create(1)) {
            llava.onProgress((phase, done, total) -> events.add(phase + " " + done + "/" + total));
            llava.generate(new float[3 * 56 * 56], new int[] {1, 5, 299, 7}, 3, new Ops(ctx));
            int vision = llava.config().visionLayersToRun();
            int text = llava.config().text().layers();
            assertThat(events).hasSize(vision + text);
            assertThat(events.get(0)).isEqualTo("VISION 1/" + vision);
            assertThat(events.get(vision - 1)).isEqualTo("VISION " + vision + "/" + vision);
            assertThat(events.get(events.size() - 1)).isEqualTo("PREFILL " + text + "/" + text);
            llava.onProgress(LayerProgress.NONE);
            events.clear();
            llava.generate(new float[3 * 56 * 56], new int[] {1, 5, 299, 7}, 1, new Ops(ctx));
            assertThat(events).isEmpty();
        }
    }
}
