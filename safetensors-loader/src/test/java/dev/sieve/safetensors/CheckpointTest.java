package dev.sieve.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sieve.safetensors.SafetensorsException.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    private Path shard(String name, String... tensors) {
        SafetensorsWriter w = SafetensorsWriter.to(dir.resolve(name)).metadata("format", "pt");
        float v = 1;
        for (String t : tensors) {
            w.addFloats(t, DType.F32, new long[] {2}, new float[] {v, v + 0.5f});
            v++;
        }
        return w.write();
    }

    private Path index(String json) throws IOException {
        return Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX_FILE), json);
    }

    private SafetensorsException refuse(Path source, Rule rule) {
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class, () -> SafetensorsCheckpoint.open(source).close());
        assertThat(e).as("expected " + rule).isNotNull();
        assertThat(e.rule()).as(e.getMessage()).isEqualTo(rule);
        return e;
    }

    @Test
    void aDirectoryWithOneModelFile() {
        shard("model.safetensors", "w", "b");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertThat(c.isSharded()).isFalse();
            assertThat(c.names()).containsExactlyInAnyOrder("w", "b");
            assertThat(c.tensor("b").getFloat(1)).isEqualTo(2.5f);
            assertThat(c.metadata()).containsEntry("format", "pt");
            assertThat(c.dataBytes()).isEqualTo(16);
        }
    }

    @Test
    void aShardedDirectoryMapsEachShardOnceAndFollowsTheIndex() throws IOException {
        shard("model-00001-of-00002.safetensors", "a", "b");
        shard("model-00002-of-00002.safetensors", "c");
        index("""
                {"metadata": {"total_size": 24},
                 "weight_map": {"a": "model-00001-of-00002.safetensors",
                                "c": "model-00002-of-00002.safetensors",
                                "b": "model-00001-of-00002.safetensors"}}""");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertThat(c.isSharded()).isTrue();
            assertThat(c.files()).hasSize(2);
            assertThat(c.names()).containsExactly("a", "c", "b");
            assertThat(c.tensor("c").file().getFileName()).hasToString("model-00002-of-00002.safetensors");
            assertThat(c.tensor("c").getFloat(0)).isEqualTo(1f);
            assertThat(c.indexMetadata()).containsEntry("total_size", "24");
            assertThat(c.metadata()).containsEntry("format", "pt");
        }
        // The index file itself can be opened too.
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir.resolve(SafetensorsCheckpoint.INDEX_FILE))) {
            assertThat(c.names()).hasSize(3);
        }
    }

    @Test
    void closeReleasesEveryMapping() throws IOException {
        shard("s1.safetensors", "a");
        shard("s2.safetensors", "b");
        index("{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\"}}");
        TensorView a;
        TensorView b;
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            a = c.tensor("a");
            b = c.tensor("b");
        }
        assertThatThrownBy(() -> a.getFloat(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.getFloat(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anIndexMayNotLeaveTheDirectoryUpwards() throws IOException {
        Path inner = Files.createDirectory(dir.resolve("ckpt"));
        shard("outside.safetensors", "a");
        Files.writeString(inner.resolve(SafetensorsCheckpoint.INDEX_FILE), "{\"weight_map\": {\"a\": \"../outside.safetensors\"}}");
        SafetensorsException e = refuse(inner, Rule.INDEX_PATH);
        assertThat(e.tensor()).contains("a");
        assertThat(e.getMessage()).contains("../outside.safetensors");
    }

    @Test
    void anIndexMayNotNameAnAbsolutePath() throws IOException {
        Path elsewhere = shard("abs.safetensors", "a").toAbsolutePath();
        index("{\"weight_map\": {\"a\": \"" + elsewhere + "\"}}");
        refuse(dir, Rule.INDEX_PATH);
    }

    @Test
    void anIndexMayNotEscapeThroughASymbolicLink() throws IOException {
        Path outsideDir = Files.createDirectory(dir.resolve("outside"));
        Path inner = Files.createDirectory(dir.resolve("ckpt"));
        SafetensorsWriter.to(outsideDir.resolve("real.safetensors")).addFloats("a", DType.F32, new long[] {1}, new float[] {1}).write();
        Files.createSymbolicLink(inner.resolve("link.safetensors"), outsideDir.resolve("real.safetensors"));
        Files.writeString(inner.resolve(SafetensorsCheckpoint.INDEX_FILE), "{\"weight_map\": {\"a\": \"link.safetensors\"}}");
        refuse(inner, Rule.INDEX_PATH);
    }

    @Test
    void everyIndexedTensorMustBeInItsShard() throws IOException {
        shard("s1.safetensors", "a");
        index("{\"weight_map\": {\"a\": \"s1.safetensors\", \"ghost\": \"s1.safetensors\"}}");
        SafetensorsException e = refuse(dir, Rule.INDEX_MISMATCH);
        assertThat(e.tensor()).contains("ghost");
        assertThat(e.file().getFileName()).hasToString(SafetensorsCheckpoint.INDEX_FILE);
    }

    @Test
    void aTensorMayNotLiveInTwoShards() throws IOException {
        shard("s1.safetensors", "a", "dup");
        shard("s2.safetensors", "b", "dup");
        index("{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\", \"dup\": \"s1.safetensors\"}}");
        assertThat(refuse(dir, Rule.INDEX_MISMATCH).tensor()).contains("dup");
    }

    @Test
    void aMissingShardIsNamed() throws IOException {
        index("{\"weight_map\": {\"a\": \"nowhere.safetensors\"}}");
        assertThat(refuse(dir, Rule.NOT_FOUND).getMessage()).contains("nowhere.safetensors");
    }

    @Test
    void anIndexWithoutAWeightMap() throws IOException {
        index("{\"metadata\": {}}");
        refuse(dir, Rule.INDEX_FORMAT);
    }

    @Test
    void anIndexThatIsNotJson() throws IOException {
        index("{\"weight_map\": ");
        refuse(dir, Rule.INDEX_FORMAT);
    }

    @Test
    void aBrokenShardIsReportedWithTheShardsName() throws IOException {
        HandMade.write(dir, "s1.safetensors", HandMade.file("{\"a\": 1}", 0));
        index("{\"weight_map\": {\"a\": \"s1.safetensors\"}}");
        SafetensorsException e = refuse(dir, Rule.ENTRY_FIELDS);
        assertThat(e.file().getFileName()).hasToString("s1.safetensors");
    }

    @Test
    void aDirectoryWithoutACheckpoint() {
        assertThat(refuse(dir, Rule.NOT_FOUND).getMessage()).contains("model.safetensors");
    }

    @Test
    void aDirectoryWithOneOtherSafetensorsFileOpensIt() {
        shard("weights.safetensors", "x");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertThat(c.names()).containsExactly("x");
        }
    }

    @Test
    void aMissingTensorIsNamed() {
        shard("model.safetensors", "w");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            SafetensorsException e = catchThrowableOfType(SafetensorsException.class, () -> c.tensor("nope"));
            assertThat(e.rule()).isEqualTo(Rule.NOT_FOUND);
            assertThat(e.getMessage()).contains("'nope'");
        }
    }
}
