package ai.adaptserve.model.checkpoint;

import static ai.adaptserve.model.checkpoint.CheckpointTestFiles.assertMalformed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTensorsTest {

    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    @TempDir
    Path dir;

    private void writeShards() throws Exception {
        new SafetensorsWriter()
                .metadata("format", "pt")
                .add("embed.weight", TensorDType.F32, new float[] {1, 2, 3, 4, 5, 6}, 3, 2)
                .add("layers.0.q.weight", TensorDType.BF16, new float[] {0.5f, -1f}, 2)
                .write(dir.resolve(SHARD1));
        new SafetensorsWriter()
                .add("layers.1.q.weight", TensorDType.F16, new float[] {2f, -0.25f}, 1, 2)
                .add("lm_head.weight", TensorDType.F32, new float[] {7}, 1, 1)
                .write(dir.resolve(SHARD2));
    }

    private Path writeIndex(String weightMapEntries) throws Exception {
        Path index = dir.resolve(CheckpointTensors.INDEX_FILE);
        Files.writeString(index, "{\"metadata\":{\"total_size\":40},\"weight_map\":{" + weightMapEntries + "}}");
        return index;
    }

    private static String e(String tensor, String shard) {
        return "\"" + tensor + "\":\"" + shard + "\"";
    }

    private String goodWeightMap() {
        return String.join(
                ",",
                e("embed.weight", SHARD1),
                e("layers.0.q.weight", SHARD1),
                e("layers.1.q.weight", SHARD2),
                e("lm_head.weight", SHARD2));
    }

    @Test
    void open_shardedWithIndex_readsAllTensors() throws Exception {
        writeShards();
        writeIndex(goodWeightMap());
        try (CheckpointTensors c = CheckpointTensors.open(dir)) {
            assertEquals(
                    List.of("embed.weight", "layers.0.q.weight", "layers.1.q.weight", "lm_head.weight"),
                    List.copyOf(c.names()));
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, c.readFloats("embed.weight"));
            assertArrayEquals(new long[] {3, 2}, c.shape("embed.weight"));
            assertArrayEquals(new float[] {0.5f, -1f}, c.readFloats("layers.0.q.weight"));
            assertArrayEquals(new float[] {2f, -0.25f}, c.readFloats("layers.1.q.weight"));
            assertEquals(
                    TensorDType.F16, c.info("layers.1.q.weight").orElseThrow().dtype());
            assertArrayEquals(new long[] {1, 1}, c.shape("lm_head.weight"));
            assertTrue(c.info("missing").isEmpty());
            assertMalformed(dir, "missing", "no such tensor", () -> c.readFloats("missing"));
            assertMalformed(dir, "missing", "no such tensor", () -> c.shape("missing"));
        }
    }

    @Test
    void open_singleFile_readsAllTensors() throws Exception {
        new SafetensorsWriter()
                .add("a", TensorDType.F32, new float[] {1, 2}, 2)
                .add("b", TensorDType.BF16, new float[] {3}, 1)
                .write(dir.resolve(CheckpointTensors.SINGLE_FILE));
        try (CheckpointTensors c = CheckpointTensors.open(dir)) {
            assertEquals(List.of("a", "b"), List.copyOf(c.names()));
            assertArrayEquals(new float[] {3}, c.readFloats("b"));
        }
    }

    @Test
    void open_emptyDirectory_namesExpectedFiles() {
        var ex = assertMalformed(dir, null, "neither", () -> CheckpointTensors.open(dir));
        assertTrue(ex.getMessage().contains(CheckpointTensors.INDEX_FILE), ex.getMessage());
        Path absent = dir.resolve("absent");
        assertMalformed(absent, null, "does not exist", () -> CheckpointTensors.open(absent));
    }

    @Test
    void open_missingShard_namesIndexAndShard() throws Exception {
        writeShards();
        Files.delete(dir.resolve(SHARD2));
        Path index = writeIndex(goodWeightMap());
        var ex = assertMalformed(index, null, "do not exist", () -> CheckpointTensors.open(dir));
        assertTrue(ex.getMessage().contains(SHARD2), ex.getMessage());
    }

    @Test
    void open_tensorMissingFromItsShard_namesShardAndTensor() throws Exception {
        writeShards();
        // lm_head.weight is really in shard 2; the index claims shard 1.
        writeIndex(String.join(
                ",",
                e("embed.weight", SHARD1),
                e("layers.0.q.weight", SHARD1),
                e("layers.1.q.weight", SHARD2),
                e("lm_head.weight", SHARD1)));
        Path shard1 = dir.toAbsolutePath().normalize().resolve(SHARD1);
        assertMalformed(shard1, "lm_head.weight", "missing from this shard", () -> CheckpointTensors.open(dir));
    }

    @Test
    void open_duplicateTensorAcrossShards_namesShardAndTensor() throws Exception {
        writeShards();
        new SafetensorsWriter()
                .add("embed.weight", TensorDType.F32, new float[] {0}, 1)
                .write(dir.resolve("extra.safetensors"));
        writeIndex(goodWeightMap() + "," + e("other", "extra.safetensors"));
        Path extra = dir.toAbsolutePath().normalize().resolve("extra.safetensors");
        var ex = assertMalformed(extra, "embed.weight", "duplicate tensor", () -> CheckpointTensors.open(dir));
        assertTrue(ex.getMessage().contains(SHARD1), ex.getMessage());
    }

    @Test
    void open_shardPathEscapingDir_namesIndexAndTensor() throws Exception {
        writeShards();
        Files.createDirectories(dir.resolve("inner"));
        new SafetensorsWriter()
                .add("secret", TensorDType.F32, new float[] {0}, 1)
                .write(dir.resolve("outside.safetensors"));
        Path sub = dir.resolve("inner");
        Files.move(dir.resolve(SHARD1), sub.resolve(SHARD1));
        Files.move(dir.resolve(SHARD2), sub.resolve(SHARD2));

        Path index = sub.resolve(CheckpointTensors.INDEX_FILE);
        Files.writeString(
                index,
                "{\"weight_map\":{" + e("embed.weight", SHARD1) + "," + e("secret", "../outside.safetensors") + "}}");
        assertMalformed(index, "secret", "escapes the checkpoint directory", () -> CheckpointTensors.open(sub));

        String absolute = dir.resolve("outside.safetensors").toAbsolutePath().toString();
        Files.writeString(index, "{\"weight_map\":{" + e("secret", absolute) + "}}");
        assertMalformed(index, "secret", "is absolute", () -> CheckpointTensors.open(sub));

        Files.writeString(index, "{\"weight_map\":{" + e("secret", "a/../../outside.safetensors") + "}}");
        assertMalformed(index, "secret", "escapes", () -> CheckpointTensors.open(sub));
    }

    @Test
    void open_badIndex_namesIndex() throws Exception {
        writeShards();
        Path index = dir.resolve(CheckpointTensors.INDEX_FILE);
        Files.writeString(index, "{\"weight_map\":");
        assertMalformed(index, null, "not valid JSON", () -> CheckpointTensors.open(dir));
        Files.writeString(index, "{\"metadata\":{}}");
        assertMalformed(index, null, "no 'weight_map'", () -> CheckpointTensors.open(dir));
        Files.writeString(index, "{\"weight_map\":{\"embed.weight\":3}}");
        assertMalformed(index, "embed.weight", "not a non-empty file name", () -> CheckpointTensors.open(dir));
        Files.writeString(
                index, "{\"weight_map\":{" + e("embed.weight", SHARD1) + "," + e("embed.weight", SHARD2) + "}}");
        assertMalformed(index, null, "embed.weight", () -> CheckpointTensors.open(dir));
    }

    @Test
    void open_malformedShard_namesShard() throws Exception {
        writeShards();
        writeIndex(goodWeightMap());
        Path shard2 = dir.toAbsolutePath().normalize().resolve(SHARD2);
        Files.write(shard2, new byte[] {1, 2, 3});
        assertMalformed(shard2, null, "shorter than the 8-byte", () -> CheckpointTensors.open(dir));
    }
}
