package ai.adaptserve.model.route;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.ChecksummedSafetensors;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.tasks.TaskFamily;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskRouterTest {
    static final String BASE = "sha256:" + "1f".repeat(32);
    static final String OTHER = "sha256:" + "2e".repeat(32);

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    static Path modelDir;
    static LoadedModel model;
    static TrainRouter.Report report;

    @BeforeAll
    static void trainOnTinyModel() {
        modelDir = TestModels.write(shared.resolve("tiny"), TestModels.tinyLlama(false, false), 5, TensorDType.F32, 0);
        model = LoadedModel.load(modelDir);
        int families = TaskFamily.values().length;
        TrainRouter.Options o = new TrainRouter.Options(1, 3, 3 * families, 3, 2 * families, 8, 0.5, 60);
        report =
                TrainRouter.train(model, o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void close() {
        model.close();
    }

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

    @Test
    void trainedRouterCoversEveryFamilyAndRendering() {
        TaskRouter router = report.router();
        assertEquals(Arrays.stream(TaskFamily.values()).map(TaskFamily::label).toList(), router.labels());
        assertEquals(model.fingerprint(), router.baseFingerprint());
        assertEquals(model.config().hiddenSize(), router.hiddenSize());
        assertEquals(0.5, router.threshold());
        // 2 val tasks per family, 7 renderings each: every phrasing with demos, and without but for generic.
        assertEquals(26 * 7, report.val().n());
        assertEquals(13, report.byFamily().size());
        report.byFamily().values().forEach(t -> assertEquals(14, t.n()));
        assertEquals(
                List.of("generic+demos", "arrow+demos", "arrow", "instruction+demos", "instruction", "qa+demos", "qa"),
                List.copyOf(report.byRendering().keySet()));
        assertEquals(8, report.novel().n());
        assertEquals(3 * 13 * 7, report.train().n());
        assertEquals(0, report.novel().routed(), "no family is right for a novel task");
        for (TaskRouter.Route r : report.valRoutes()) {
            assertEquals(r.confidence() >= 0.5, r.label().isPresent());
        }
    }

    @Test
    void savedRouterLoadsForItsModelAndRoutesIdentically() throws Exception {
        TaskRouter router = report.router();
        Path file = tmp.resolve("router.safetensors");
        router.write(file);
        TaskRouter loaded = TaskRouter.load(file, model);
        assertEquals(router, loaded);
        List<String> prompts = report.valSamples().stream()
                .limit(20)
                .map(TrainRouter.Sample::prompt)
                .toList();
        assertEquals(router.route(model, prompts), loaded.route(model, prompts));
        assertEquals(report.valRoutes().subList(0, 20), loaded.route(model, prompts));
    }

    @Test
    void routerForAnotherModelIsRefusedNamingTheFile() throws Exception {
        TaskRouter router = report.router();
        float[][] f = model.promptFeatures(List.of("in: a\nout: b\nin: c\nout: ", "Task: sort\nQ: cba\nA: "));
        TaskRouter other = RouterTrainer.train(
                f,
                List.of("reverse", "sort"),
                model.config().hiddenSize(),
                OTHER,
                RouterTrainer.Config.DEFAULT.withEpochs(5));
        Path file = tmp.resolve("other.safetensors");
        other.write(file);
        MalformedRouterException e = assertThrows(MalformedRouterException.class, () -> TaskRouter.load(file, model));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(OTHER), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> other.route(model, List.of("hello")));

        TaskRouter narrow = small(model.fingerprint(), 0.5); // hidden 4, the model has 64
        Path narrowFile = tmp.resolve("narrow.safetensors");
        narrow.write(narrowFile);
        e = assertThrows(MalformedRouterException.class, () -> TaskRouter.load(narrowFile, model));
        assertTrue(
                e.getMessage().contains(narrowFile.toString()) && e.getMessage().contains("hidden size 4"),
                e.getMessage());

        // A byte flipped in a trained router's weights.
        Path good = tmp.resolve("good.safetensors");
        router.write(good);
        byte[] bytes = Files.readAllBytes(good);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(good, bytes);
        e = assertThrows(MalformedRouterException.class, () -> TaskRouter.load(good, model));
        assertTrue(
                e.getMessage().contains(good.toString()) && e.getMessage().contains("checksum mismatch"),
                e.getMessage());
    }

    @Test
    void commandLineTrainsAndWritesTheRouter() throws Exception {
        Path out = tmp.resolve("cli/router.safetensors");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = TrainRouter.run(
                new String[] {
                    "--model",
                    modelDir.toString(),
                    "--out",
                    out.toString(),
                    "--data-seed",
                    "3",
                    "--train-tasks",
                    "26",
                    "--per-family",
                    "2",
                    "--val-tasks",
                    "13",
                    "--novel",
                    "4",
                    "--epochs",
                    "20",
                    "--threshold",
                    "0.4"
                },
                new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        String printed = stdout.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, stderr.toString(StandardCharsets.UTF_8));
        assertTrue(printed.contains("generic+demos") && printed.contains("novel (generic+demos): 4 tasks"), printed);
        TaskRouter written = TaskRouter.load(out, model);
        assertEquals(0.4, written.threshold());
        assertEquals(13, written.labels().size());

        assertEquals(
                2,
                TrainRouter.run(
                        new String[] {"--model", modelDir.toString()},
                        new PrintStream(stdout),
                        new PrintStream(stderr)));
        assertEquals(
                2,
                TrainRouter.run(
                        new String[] {"--model", "x", "--out", "y", "--per-family", "0"},
                        new PrintStream(stdout),
                        new PrintStream(stderr)));
        assertFalse(Files.exists(tmp.resolve("y")));
    }
}
