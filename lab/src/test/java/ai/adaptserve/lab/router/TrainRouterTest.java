package ai.adaptserve.lab.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.lab.tasks.TaskFamily;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.route.MalformedRouterException;
import ai.adaptserve.model.route.TaskRouter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The router trained by the lab on the task suite, and its command line. */
class TrainRouterTest {
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
        // The novel split's tally counts what the routes did: its `none` is the share the router rightly left alone
        // (its `routed` is 0 by construction: no family is right for a novel task, so it is not asserted).
        assertEquals(8, report.novelRoutes().size());
        assertEquals(
                report.novelRoutes().stream().filter(r -> r.label().isEmpty()).count(),
                report.novel().none());
        for (TaskRouter.Route r : report.novelRoutes()) {
            assertEquals(r.confidence() >= 0.5, r.label().isPresent());
        }
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
        // The training run routed these prompts in a larger batch (other padding): same decisions, and probabilities
        // equal up to float rounding of the batched forward pass.
        List<TaskRouter.Route> trained = report.valRoutes().subList(0, 20);
        List<TaskRouter.Route> again = loaded.route(model, prompts);
        for (int i = 0; i < trained.size(); i++) {
            assertEquals(trained.get(i).label(), again.get(i).label(), prompts.get(i));
            assertEquals(trained.get(i).best(), again.get(i).best(), prompts.get(i));
            assertEquals(trained.get(i).confidence(), again.get(i).confidence(), 1e-5, prompts.get(i));
        }
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
