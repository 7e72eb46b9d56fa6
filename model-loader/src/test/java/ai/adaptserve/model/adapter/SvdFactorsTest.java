package ai.adaptserve.model.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.CheckpointWriter;
import ai.adaptserve.model.checkpoint.RandomWeights;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.llama.LlamaWeights;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SvdFactorsTest {
    static final long SEED = 7;
    static final ModelConfig CFG = TestModels.tinyLlama(false, false);

    @TempDir
    static Path modelDir;

    @TempDir
    Path cache;

    static LoadedModel model;
    static LlamaWeights weights;
    static String fingerprint;
    /** The checkpoint's matrices as written, {@code [out, in]} row-major, by HF name. */
    static Map<String, float[]> hf = new HashMap<>();

    NDManager parent() {
        return weights.manager();
    }

    @BeforeAll
    static void load() {
        TestModels.write(modelDir, CFG, SEED, TensorDType.F32, Long.MAX_VALUE);
        model = LoadedModel.load(modelDir);
        weights = model.decoder().weights();
        fingerprint = model.fingerprint();
        for (CheckpointWriter.Tensor t : RandomWeights.of(CFG, SEED, 0.08)) {
            hf.put(t.name(), t.values());
        }
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    static String hfName(MatrixRef m) {
        return m.matrix() == TargetMatrix.HEAD
                ? "lm_head.weight"
                : "model.layers." + m.layer() + "." + m.matrix().hfName() + ".weight";
    }

    /** v · diag(sigma) · ut, row-major {@code [in, out]}. */
    static double[] reconstruct(SvdFactors.Factors f, int in, int out) {
        float[] v = f.v().toFloatArray();
        float[] s = f.sigma().toFloatArray();
        float[] ut = f.ut().toFloatArray();
        int r = s.length;
        double[] w = new double[in * out];
        for (int i = 0; i < in; i++) {
            for (int k = 0; k < r; k++) {
                double a = (double) v[i * r + k] * s[k];
                for (int j = 0; j < out; j++) {
                    w[i * out + j] += a * ut[k * out + j];
                }
            }
        }
        return w;
    }

    /** Max |Wᵀ - v diag(σ) ut| over every target, against the checkpoint's own values. */
    static double maxReconstructionError(SvdFactors svd) {
        double max = 0;
        for (MatrixRef m : svd.ranks().keySet()) {
            int in = m.matrix().in(CFG);
            int out = m.matrix().out(CFG);
            double[] w = reconstruct(svd.get(m), in, out);
            float[] orig = hf.get(hfName(m)); // [out, in]
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < out; j++) {
                    max = Math.max(max, Math.abs(w[i * out + j] - orig[j * in + i]));
                }
            }
        }
        return max;
    }

    @Test
    void factorsReconstructEveryTargetMatrix() throws IOException {
        int arraysBefore = weights.nativeArrayCount();
        Set<TargetMatrix> all = EnumSet.allOf(TargetMatrix.class);
        try (SvdFactors svd = SvdFactors.loadOrCompute(weights, fingerprint, all, cache, parent())) {
            assertTrue(svd.computedNow());
            assertEquals(CFG.numLayers() * 7 + 1, svd.ranks().size());
            for (var e : svd.ranks().entrySet()) {
                MatrixRef m = e.getKey();
                int in = m.matrix().in(CFG);
                int out = m.matrix().out(CFG);
                int r = Math.min(in, out);
                assertEquals(r, e.getValue(), m.key());
                SvdFactors.Factors f = svd.get(m);
                assertArrayEquals(new long[] {in, r}, f.v().getShape().getShape(), m.key());
                assertArrayEquals(new long[] {r}, f.sigma().getShape().getShape(), m.key());
                assertArrayEquals(new long[] {r, out}, f.ut().getShape().getShape(), m.key());
                // The decoder's own view of the weight agrees as well.
                NDArray rebuilt = f.v().mul(f.sigma()).matMul(f.ut());
                double diff = rebuilt.sub(weights.matrixT(m)).abs().max().getFloat();
                assertTrue(diff < 1e-4, m.key() + " differs from matrixT by " + diff);
            }
            double err = maxReconstructionError(svd);
            assertTrue(err < 1e-4, "max reconstruction error " + err);
            assertEquals(
                    List.of(-1, 0, 1, 2),
                    svd.ranks().keySet().stream()
                            .map(MatrixRef::layer)
                            .distinct()
                            .toList());
            assertEquals(
                    "svd-" + fingerprint.substring(7, 23) + "-q-k-v-o-gate-up-down-head.safetensors",
                    svd.file().getFileName().toString());
            assertTrue(Files.isRegularFile(svd.file()));
        }
        assertEquals(arraysBefore, weights.nativeArrayCount(), "the weights' manager gained or lost arrays");
    }

    @Test
    void singularValuesAreDescendingNonNegativeAndFactorsOrthonormal() throws IOException {
        try (SvdFactors svd = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            assertEquals(CFG.numLayers() * 3, svd.ranks().size());
            for (MatrixRef m : svd.ranks().keySet()) {
                float[] s = svd.get(m).sigma().toFloatArray();
                for (int i = 0; i < s.length; i++) {
                    assertTrue(s[i] >= 0, m.key() + " sigma[" + i + "] = " + s[i]);
                    if (i > 0) {
                        assertTrue(s[i] <= s[i - 1], m.key() + " sigma not descending at " + i);
                    }
                }
                assertTrue(s[0] > 0);
                NDArray v = svd.get(m).v();
                NDArray ut = svd.get(m).ut();
                int r = s.length;
                try (NDManager tmp = parent().newSubManager()) {
                    NDArray eye = tmp.eye(r);
                    float vErr = v.transpose().matMul(v).sub(eye).abs().max().getFloat();
                    float uErr = ut.matMul(ut.transpose()).sub(eye).abs().max().getFloat();
                    assertTrue(vErr < 1e-4 && uErr < 1e-4, m.key() + ": " + vErr + ", " + uErr);
                }
            }
        }
    }

    @Test
    void unknownMatrixIsNamed() throws IOException {
        try (SvdFactors svd = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> svd.get(new MatrixRef(1, TargetMatrix.Q)));
            assertTrue(e.getMessage().contains("1.q"), e.getMessage());
        }
    }

    @Test
    void secondStartReusesTheCacheFile() throws IOException {
        Map<MatrixRef, float[][]> first = new HashMap<>();
        Path file;
        try (SvdFactors a = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            assertTrue(a.computedNow());
            file = a.file();
            a.ranks().keySet().forEach(m -> first.put(m, arrays(a.get(m))));
        }
        long modified = Files.getLastModifiedTime(file).toMillis();
        try (SvdFactors b = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            assertFalse(b.computedNow());
            assertEquals(file, b.file());
            assertEquals(first.keySet(), b.ranks().keySet());
            for (MatrixRef m : first.keySet()) {
                float[][] x = first.get(m);
                float[][] y = arrays(b.get(m));
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(x[i], y[i], m.key());
                }
            }
        }
        assertEquals(modified, Files.getLastModifiedTime(file).toMillis(), "the cache file was rewritten");
    }

    @Test
    void otherTargetsOrFingerprintUseAnotherFile() throws IOException {
        String other = "sha256:" + "0123456789abcdef".repeat(4);
        try (SvdFactors a = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent());
                SvdFactors b = SvdFactors.loadOrCompute(weights, other, TargetMatrix.MLP, cache, parent());
                SvdFactors c =
                        SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.ATTENTION, cache, parent())) {
            assertTrue(a.computedNow());
            assertTrue(b.computedNow());
            assertTrue(c.computedNow());
            assertNotEquals(a.file(), b.file());
            assertNotEquals(a.file(), c.file());
            assertEquals(
                    "svd-0123456789abcdef-gate-up-down.safetensors",
                    b.file().getFileName().toString());
            assertTrue(c.file().getFileName().toString().endsWith("-q-k-v-o.safetensors"));
        }
    }

    @Test
    void truncatedCacheIsRecomputed() throws IOException {
        Path file = computeOnce();
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size - 100);
        }
        assertRecomputedAndCorrect();
        Files.write(file, new byte[] {1, 2, 3});
        assertRecomputedAndCorrect();
    }

    @Test
    void flippedDataByteIsRecomputed() throws IOException {
        Path file = computeOnce();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x10; // inside the last tensor's data
        Files.write(file, bytes);
        assertRecomputedAndCorrect();

        bytes = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        bytes[(int) (8 + headerLen + 5)] ^= 0x01; // the first tensor's data
        Files.write(file, bytes);
        assertRecomputedAndCorrect();
    }

    @Test
    void wrongFingerprintInTheFileIsRecomputed() throws IOException {
        // Shares the first 16 hex digits (so the file name) with the model's fingerprint, differs after.
        String lookalike = fingerprint.substring(0, 23) + "f".repeat(fingerprint.length() - 23);
        assertNotEquals(fingerprint, lookalike);
        Path file;
        try (SvdFactors a = SvdFactors.loadOrCompute(weights, lookalike, TargetMatrix.MLP, cache, parent())) {
            file = a.file();
        }
        try (SvdFactors b = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            assertEquals(file, b.file());
            assertTrue(b.computedNow(), "a cache made for another fingerprint was used");
            assertTrue(maxReconstructionError(b) < 1e-4);
        }
        try (SvdFactors c = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            assertFalse(c.computedNow(), "the recomputed cache was not written back");
        }
    }

    @Test
    void badFingerprintIsRejected() {
        assertThrows(
                IllegalArgumentException.class,
                () -> SvdFactors.loadOrCompute(weights, "sha256:abc", TargetMatrix.MLP, cache, parent()));
    }

    private Path computeOnce() throws IOException {
        try (SvdFactors a = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            assertTrue(a.computedNow());
            return a.file();
        }
    }

    private void assertRecomputedAndCorrect() throws IOException {
        try (SvdFactors b = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            assertTrue(b.computedNow(), "a corrupt cache file was used");
            double err = maxReconstructionError(b);
            assertTrue(err < 1e-4, "max reconstruction error " + err);
        }
        try (SvdFactors c = SvdFactors.loadOrCompute(weights, fingerprint, TargetMatrix.MLP, cache, parent())) {
            assertFalse(c.computedNow(), "the recomputed cache was not written back");
        }
    }

    private static float[][] arrays(SvdFactors.Factors f) {
        return new float[][] {f.v().toFloatArray(), f.sigma().toFloatArray(), f.ut().toFloatArray()};
    }
}
