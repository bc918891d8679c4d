package dev.sieve.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The Hugging Face-written fixture checkpoints open and hold exactly what manifest.json lists. */
class FixtureCheckpointsTest {

    @Test
    void everyFixtureModelMatchesTheManifest() throws IOException {
        Path fixtures = SharedData.fixturesDir();
        JsonNode models = new ObjectMapper().readTree(fixtures.resolve("manifest.json").toFile()).get("models");
        assertThat(models.size()).isPositive();
        for (Map.Entry<String, JsonNode> model : models.properties()) {
            Path dir = fixtures.resolve(model.getKey());
            JsonNode weights = model.getValue().get("weights");
            try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
                Map<String, String> expected = new HashMap<>();
                weights.properties().forEach(w -> expected.put(w.getKey(),
                        w.getValue().get("dtype").asText() + shape(w.getValue().get("shape"))));
                Map<String, String> actual = new HashMap<>();
                long params = 0;
                for (TensorView t : c.tensors()) {
                    actual.put(t.name(), t.dtype() + java.util.Arrays.toString(t.shape()));
                    params += t.elementCount();
                }
                assertThat(actual).as(model.getKey()).isEqualTo(expected);
                assertThat(params).isEqualTo(model.getValue().get("params").asLong());
                assertThat(Files.size(c.files().get(0))).isEqualTo(model.getValue().get("model_bytes").asLong());
                assertThat(c.metadata()).containsEntry("format", "pt");
                // Values are readable: the embedding table is not all zeros.
                TensorView embed = c.tensor("language_model.model.embed_tokens.weight");
                assertThat(embed.toFloatArray()).isNotEqualTo(new float[(int) embed.elementCount()]);
            }
        }
    }

    @Test
    void everySafetensorsFileUnderTheFixturesOpens() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(SharedData.fixturesDir())) {
            walk.filter(p -> p.toString().endsWith(".safetensors")).forEach(files::add);
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(4);
        for (Path p : files) {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                assertThat(f.tensors()).as(p.toString()).isNotEmpty();
            }
        }
    }

    private static String shape(JsonNode dims) {
        List<Long> out = new ArrayList<>();
        dims.forEach(d -> out.add(d.asLong()));
        return out.toString();
    }
}
