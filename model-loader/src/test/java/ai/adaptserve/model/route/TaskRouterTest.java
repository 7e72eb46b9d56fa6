package ai.adaptserve.model.route;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.checkpoint.ChecksummedSafetensors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskRouterTest {
    static final String BASE = "sha256:" + "1f".repeat(32);
    static final String OTHER = "sha256:" + "2e".repeat(32);

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    /** A small router with random parameters (C = 3, hidden 4). */
    static TaskRouter small(String base, double threshold) {
        SplittableRandom r = new SplittableRandom(4);
        float[][] w = new float[3][8];
        float[] mean = new float[8];
        float[] std = new float[8];
        for (int j = 0; j < 8; j++) {
            for (float[] row : w) {
                row[j] = (float) r.nextGaussian();
            }
            mean[j] = (float) r.nextGaussian();
            std[j] = 0.5f + j;
        }
        return new TaskRouter(
                List.of("reverse", "sort", "add"),
                w,
                new float[] {0.1f, -0.2f, 0.3f},
                mean,
                std,
                threshold,
                4,
                base,
                "");
    }

    static float[] features(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (3 * r.nextGaussian());
        }
        return f;
    }

    /** A file with a valid checksum whose metadata and tensors the test edits first. */
    static byte[] crafted(
            TaskRouter router,
            Consumer<Map<String, String>> meta,
            Consumer<Map<String, ChecksummedSafetensors.Tensor>> tensors) {
        Map<String, String> m = router.metadataEntries();
        Map<String, ChecksummedSafetensors.Tensor> t = router.tensorEntries();
        meta.accept(m);
        tensors.accept(t);
        return ChecksummedSafetensors.assemble(TaskRouter.DOMAIN, m, t).toBytes();
    }

    static MalformedRouterException refusedFile(Path dir, byte[] bytes, String... parts) throws Exception {
        Path file = dir.resolve("bad-router.safetensors");
        Files.write(file, bytes);
        MalformedRouterException e = assertThrows(MalformedRouterException.class, () -> TaskRouter.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "message does not name the file: " + e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
        return e;
    }

    // ---------------------------------------------------------------- routing and the file, without a model

    @Test
    void routeIsTheArgMaxWithItsProbabilityAndTheThresholdDecidesTheLabel() {
        TaskRouter r = small(BASE, 0.5);
        for (long seed = 0; seed < 50; seed++) {
            float[] f = features(8, seed);
            double[] p = r.probabilities(f);
            assertEquals(1.0, Arrays.stream(p).sum(), 1e-9);
            int best = 0;
            for (int c = 1; c < 3; c++) {
                best = p[c] > p[best] ? c : best;
            }
            TaskRouter.Route route = r.route(f);
            assertEquals(r.labels().get(best), route.best());
            assertEquals(p[best], route.confidence(), 1e-12);
            assertEquals(p[best] >= 0.5, route.label().isPresent());
            assertTrue(r.withThreshold(1.0).route(f).label().isEmpty() || p[best] == 1.0);
            assertEquals(route.best(), r.withThreshold(0).route(f).label().orElseThrow());
        }
        assertThrows(IllegalArgumentException.class, () -> r.route(new float[7]));
    }

    @Test
    void invalidRoutersCannotBeMade() {
        TaskRouter ok = small(BASE, 0.5);
        float[][] w = new float[3][8];
        float[] m = new float[8];
        float[] s = new float[8];
        Arrays.fill(s, 1);
        assertThrows(
                IllegalArgumentException.class,
                () -> new TaskRouter(List.of("a", "a", "b"), w, new float[3], m, s, 0.5, 4, BASE, ""));
        assertThrows(
                IllegalArgumentException.class,
                () -> new TaskRouter(List.of(), new float[0][], new float[0], m, s, 0.5, 4, BASE, ""));
        assertThrows(
                IllegalArgumentException.class,
                () -> new TaskRouter(List.of("a", "b", "c"), w, new float[3], m, s, 1.5, 4, BASE, ""));
        assertThrows(
                IllegalArgumentException.class,
                () -> new TaskRouter(List.of("a", "b", "c"), w, new float[3], m, s, 0.5, 5, BASE, ""));
        assertThrows(
                IllegalArgumentException.class,
                () -> new TaskRouter(List.of("a,b", "b", "c"), w, new float[3], m, s, 0.5, 4, BASE, ""));
        float[] zeroStd = new float[8];
        assertThrows(
                IllegalArgumentException.class,
                () -> new TaskRouter(List.of("a", "b", "c"), w, new float[3], m, zeroStd, 0.5, 4, BASE, ""));
        assertEquals(ok, small(BASE, 0.5));
    }

    @Test
    void fileRoundTripsExactly() throws Exception {
        TaskRouter r = small(BASE, 0.37);
        Path file = tmp.resolve("dir/router.safetensors");
        r.write(file);
        TaskRouter back = TaskRouter.read(file);
        assertEquals(r, back);
        assertEquals(0.37, back.threshold());
        assertEquals(List.of("reverse", "sort", "add"), back.labels());
        for (long seed = 0; seed < 20; seed++) {
            float[] f = features(8, seed);
            assertEquals(r.route(f), back.route(f));
        }
        assertArrayEquals(r.toBytes(), Files.readAllBytes(file));
        String header = new String(r.toBytes(), StandardCharsets.UTF_8);
        for (String s : List.of(
                "\"kind\":\"router\"",
                "\"labels\":\"reverse,sort,add\"",
                "\"features\":\"mean+last.v1\"",
                "\"hidden_size\":\"4\"",
                "\"base_fingerprint\":\"" + BASE + "\"",
                "\"checksum\":\"sha256:")) {
            assertTrue(header.contains(s), s + " not in the header");
        }
    }

    @Test
    void tamperedFilesAreRefused() throws Exception {
        byte[] good = small(BASE, 0.5).toBytes();
        // A flipped byte in the tensor data (the last byte belongs to feature_std).
        byte[] flipped = good.clone();
        flipped[flipped.length - 3] ^= 0x10;
        refusedFile(tmp, flipped, "checksum mismatch");
        // An edited threshold in the header, same length.
        String text =
                new String(good, StandardCharsets.ISO_8859_1).replace("\"threshold\":\"0.5\"", "\"threshold\":\"0.1\"");
        refusedFile(tmp, text.getBytes(StandardCharsets.ISO_8859_1), "checksum mismatch");
        // Truncated, and trailing bytes.
        refusedFile(tmp, Arrays.copyOf(good, good.length - 4), "truncated");
        refusedFile(tmp, Arrays.copyOf(good, 5), "truncated");
        refusedFile(tmp, Arrays.copyOf(good, good.length + 4), "beyond the tensors");
    }

    @Test
    void inconsistentFilesWithValidChecksumsAreRefused() throws Exception {
        TaskRouter r = small(BASE, 0.5);
        refusedFile(tmp, crafted(r, m -> m.put(TaskRouter.THRESHOLD, "1.5"), t -> {}), "threshold 1.5");
        refusedFile(tmp, crafted(r, m -> m.put(TaskRouter.THRESHOLD, "NaN"), t -> {}), "threshold");
        refusedFile(tmp, crafted(r, m -> m.put(TaskRouter.LABELS, "reverse,sort,sort"), t -> {}), "not unique");
        refusedFile(tmp, crafted(r, m -> m.put(TaskRouter.LABELS, ""), t -> {}), "labels are empty");
        refusedFile(
                tmp,
                crafted(r, m -> m.put(TaskRouter.LABELS, "reverse,sort"), t -> {}),
                "bias has shape [3], expected [2] for 2 labels");
        refusedFile(
                tmp,
                crafted(r, m -> m.put(TaskRouter.HIDDEN, "5"), t -> {}),
                "feature_mean has shape [8], expected [10]");
        refusedFile(tmp, crafted(r, m -> m.put(TaskRouter.KIND, "svf"), t -> {}), "kind");
        refusedFile(tmp, crafted(r, m -> m.put(TaskRouter.FEATURES, "last.v2"), t -> {}), "feature kind");
        refusedFile(tmp, crafted(r, m -> m.remove(TaskRouter.BASE), t -> {}), "missing metadata 'base_fingerprint'");
        refusedFile(tmp, crafted(r, m -> {}, t -> t.remove(TaskRouter.BIAS)), "missing tensor 'bias'");
        refusedFile(
                tmp,
                crafted(r, m -> {}, t -> t.put("extra", ChecksummedSafetensors.Tensor.f32(new float[1], 1))),
                "unknown tensor 'extra'");
        float[] nan = new float[3];
        nan[1] = Float.NaN;
        refusedFile(
                tmp,
                crafted(r, m -> {}, t -> t.put(TaskRouter.BIAS, ChecksummedSafetensors.Tensor.f32(nan, 3))),
                "bias[1] = NaN is not finite");
        refusedFile(
                tmp,
                crafted(r, m -> {}, t -> t.put(TaskRouter.STD, ChecksummedSafetensors.Tensor.f32(new float[8], 8))),
                "feature_std[0]");
    }

    // ---------------------------------------------------------------- end to end on a tiny random model
}
