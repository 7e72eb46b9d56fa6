package ai.adaptserve.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.checkpoint.CheckpointWriter;
import ai.adaptserve.model.checkpoint.RandomWeights;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.llama.DecodeSession;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import ai.adaptserve.model.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadedModelTest {
    @TempDir
    Path tmp;

    static final int[] PROMPT = {256, 10, 20, 30, 40, 50, 60, 70};

    static float[][][] logits(Path dir) {
        try (LoadedModel m = LoadedModel.load(dir);
                DecodeSession s = new DecodeSession(m.decoder(), 1)) {
            return s.prefillAllPositions(new int[][] {PROMPT});
        }
    }

    static double maxAbsDiff(float[][][] a, float[][][] b) {
        double m = 0;
        for (int p = 0; p < a[0].length; p++) {
            for (int v = 0; v < a[0][p].length; v++) {
                m = Math.max(m, Math.abs(a[0][p][v] - b[0][p][v]));
            }
        }
        return m;
    }

    /** The same weights written as F32 after rounding them through the narrow type. */
    static List<CheckpointWriter.Tensor> roundedThrough(List<CheckpointWriter.Tensor> tensors, TensorDType narrow) {
        List<CheckpointWriter.Tensor> out = new ArrayList<>();
        for (CheckpointWriter.Tensor t : tensors) {
            float[] v = t.values().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = narrow == TensorDType.F16
                        ? Float.float16ToFloat(Float.floatToFloat16(v[i]))
                        : Float.intBitsToFloat(bf16Bits(v[i]) << 16);
            }
            out.add(new CheckpointWriter.Tensor(t.name(), v, t.shape()));
        }
        return out;
    }

    static int bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
    }

    @Test
    void load_bf16AndF16Checkpoints_widenToTheSameLogitsAsF32() throws IOException {
        ModelConfig cfg = TestModels.tinyLlama(false, false);
        List<CheckpointWriter.Tensor> w = RandomWeights.of(cfg, 5, 0.08);
        for (TensorDType narrow : List.of(TensorDType.BF16, TensorDType.F16)) {
            Path narrowDir = tmp.resolve("narrow-" + narrow);
            Path wideDir = tmp.resolve("wide-" + narrow);
            CheckpointWriter.write(narrowDir, cfg, w, narrow, 0);
            CheckpointWriter.write(wideDir, cfg, roundedThrough(w, narrow), TensorDType.F32, 0);
            double diff = maxAbsDiff(logits(narrowDir), logits(wideDir));
            System.out.printf("%s checkpoint vs F32 of the same values: max |Δ logit| = %.3g%n", narrow, diff);
            assertTrue(diff < 1e-5, narrow + " differs by " + diff);
        }
    }

    @Test
    void load_shardedCheckpoint_equalsSingleFile() throws IOException {
        ModelConfig cfg = TestModels.tinyLlama(false, true);
        List<CheckpointWriter.Tensor> w = RandomWeights.of(cfg, 6, 0.08);
        CheckpointWriter.write(tmp.resolve("single"), cfg, w, TensorDType.F32, 0);
        CheckpointWriter.write(tmp.resolve("sharded"), cfg, w, TensorDType.F32, 60_000);
        assertTrue(Files.exists(tmp.resolve("sharded/model.safetensors.index.json")));
        assertTrue(Files.exists(
                tmp.resolve("sharded/model-00002-of-" + shardCount(tmp.resolve("sharded")) + ".safetensors")));
        assertEquals(0.0, maxAbsDiff(logits(tmp.resolve("single")), logits(tmp.resolve("sharded"))));
    }

    static String shardCount(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return String.format(
                    "%05d", s.filter(p -> p.toString().endsWith(".safetensors")).count());
        }
    }

    @Test
    void load_tensorWithWrongShape_namesTensor() throws IOException {
        ModelConfig cfg = TestModels.tinyLlama(false, false);
        List<CheckpointWriter.Tensor> w = new ArrayList<>(RandomWeights.of(cfg, 1, 0.08));
        for (int i = 0; i < w.size(); i++) {
            if (w.get(i).name().equals("model.layers.1.mlp.up_proj.weight")) {
                w.set(i, new CheckpointWriter.Tensor(w.get(i).name(), new float[64 * 100], new long[] {100, 64}));
            }
        }
        CheckpointWriter.write(tmp.resolve("bad"), cfg, w, TensorDType.F32, 0);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> LoadedModel.load(tmp.resolve("bad")));
        assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("[100, 64]"), e.getMessage());
    }

    @Test
    void load_missingTensor_namesTensor() throws IOException {
        ModelConfig cfg = TestModels.tinyLlama(false, false);
        List<CheckpointWriter.Tensor> w = new ArrayList<>(RandomWeights.of(cfg, 1, 0.08));
        w.removeIf(t -> t.name().equals("model.layers.2.self_attn.k_proj.weight"));
        CheckpointWriter.write(tmp.resolve("missing"), cfg, w, TensorDType.F32, 0);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> LoadedModel.load(tmp.resolve("missing")));
        assertTrue(e.getMessage().contains("model.layers.2.self_attn.k_proj.weight"), e.getMessage());
    }

    @Test
    void load_missingDirectoryOrConfig_namesPath() throws IOException {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> LoadedModel.load(tmp.resolve("nowhere")));
        assertTrue(e.getMessage().contains("nowhere"), e.getMessage());
        Files.createDirectories(tmp.resolve("empty"));
        e = assertThrows(IllegalArgumentException.class, () -> LoadedModel.load(tmp.resolve("empty")));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void fingerprint_changesWithWeights_andIsStableForEqualFiles() throws IOException {
        ModelConfig cfg = TestModels.tinyLlama(true, false);
        CheckpointWriter.write(tmp.resolve("a"), cfg, RandomWeights.of(cfg, 1, 0.08), TensorDType.F32, 0);
        CheckpointWriter.write(tmp.resolve("b"), cfg, RandomWeights.of(cfg, 1, 0.08), TensorDType.F32, 0);
        CheckpointWriter.write(tmp.resolve("c"), cfg, RandomWeights.of(cfg, 2, 0.08), TensorDType.F32, 0);
        String a = ModelFingerprint.of(tmp.resolve("a"));
        assertTrue(a.startsWith("sha256:") && a.length() == 7 + 64, a);
        assertEquals(a, ModelFingerprint.of(tmp.resolve("b")));
        assertNotEquals(a, ModelFingerprint.of(tmp.resolve("c")));
    }

    @Test
    void secondStart_keepsFingerprintAndReusesSvdFactorsWrittenBesideTheCheckpoint() throws IOException {
        Path dir = TestModels.write(tmp.resolve("restart"), TestModels.tinyLlama(true, false), 4, TensorDType.F32, 0);
        String first;
        try (LoadedModel m = LoadedModel.load(dir)) {
            first = m.fingerprint();
            assertTrue(m.svdFactors().computedNow());
            assertTrue(
                    m.svdFactors().file().startsWith(dir), m.svdFactors().file().toString());
        }
        Files.writeString(dir.resolve("README.md"), "a file beside the weights is not part of the model");
        try (LoadedModel m = LoadedModel.load(dir)) {
            assertEquals(first, m.fingerprint());
            assertTrue(!m.svdFactors().computedNow(), "the second start recomputed the SVD");
        }
    }

    @Test
    void tokenizers_hfByteLevelJsonAndByteTokenizer_giveTheSameIds() throws Exception {
        ModelConfig cfg = TestModels.tinyLlama(true, false);
        Path dir = TestModels.write(tmp.resolve("tok"), cfg, 1, TensorDType.F32, 0);
        String text = "Héllo, wörld! ✓ tabs\tand\nnewlines — 日本語 😀";
        try (LoadedModel m = LoadedModel.load(dir);
                TextTokenizer bytes = new ByteTokenizer(Optional.of(ByteTokenizer.BOS))) {
            int[] hf = m.encode(text);
            assertArrayEquals(bytes.encode(text, true), hf);
            assertEquals(ByteTokenizer.BOS, hf[0]);
            assertEquals(text, m.tokenizer().decode(hf));
            assertEquals(text, bytes.decode(hf));
        }
    }

    @Test
    void builtinModel_materializesOnceAndLoads() throws IOException {
        Path dir = BuiltinModel.materialize(tmp);
        long modified =
                Files.getLastModifiedTime(dir.resolve("model.safetensors")).toMillis();
        assertEquals(dir, BuiltinModel.materialize(tmp));
        assertEquals(
                modified,
                Files.getLastModifiedTime(dir.resolve("model.safetensors")).toMillis());
        assertTrue(Files.isRegularFile(dir.resolve(BuiltinModel.ROUTER_FILE)));
        assertTrue(Files.isRegularFile(dir.resolve(BuiltinModel.EXPERTS_DIR).resolve("reverse.safetensors")));
        try (LoadedModel m = LoadedModel.load(dir)) {
            assertTrue(m.generate("hi", ai.adaptserve.model.generate.GenerationParams.greedy(4))
                            .completionTokens()
                    > 0);
        }
    }

    @Test
    void builtinModel_aDamagedCopyIsReplaced() throws IOException {
        Path dir = BuiltinModel.materialize(tmp);
        Path weights = dir.resolve("model.safetensors");
        String fingerprint;
        try (LoadedModel m = LoadedModel.load(dir)) {
            fingerprint = m.fingerprint();
        }
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 3] ^= 0x55;
        Files.write(weights, bytes);
        Files.delete(dir.resolve(BuiltinModel.ROUTER_FILE));

        assertEquals(dir, BuiltinModel.materialize(tmp));
        assertTrue(Files.isRegularFile(dir.resolve(BuiltinModel.ROUTER_FILE)));
        try (LoadedModel m = LoadedModel.load(dir)) {
            assertEquals(fingerprint, m.fingerprint());
        }
    }
}
