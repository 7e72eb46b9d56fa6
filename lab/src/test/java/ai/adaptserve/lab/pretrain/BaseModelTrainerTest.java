package ai.adaptserve.lab.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.PromptFormat;
import ai.adaptserve.lab.tasks.TaskFamily;
import ai.adaptserve.lab.tasks.TaskGenerator;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.llama.LlamaWeights;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.Phrasing;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in model's trainer on a tiny Llama (2 layers, hidden 64) and the {@code upper} and {@code recolour}
 * families: the loss falls, the checkpoint reproduces the trainer's logits, and runs repeat exactly on one thread.
 */
class BaseModelTrainerTest {
    @TempDir
    static Path tmp;

    static final ModelConfig TINY = new ModelConfig(
            "LlamaForCausalLM",
            ByteTokenizer.VOCAB,
            64,
            176,
            2,
            4,
            2,
            16,
            1e-5,
            10000.0,
            Optional.empty(),
            false,
            false,
            512,
            Optional.of(ByteTokenizer.BOS),
            List.of(ByteTokenizer.EOS),
            "float32");

    static List<FewShotTask> tasks;

    @BeforeAll
    static void setUp() {
        Engine.getEngine("PyTorch");
        // bit-for-bit repeatability needs one thread: set for the whole test JVM (root pom), not changed here
        assertEquals(1, JniUtils.getNumThreads(), "PyTorch intra-op threads");
        Random rnd = new Random(7);
        tasks = new ArrayList<>();
        for (int i = 0; tasks.size() < 96; i++) {
            TaskFamily f = i % 2 == 0 ? TaskFamily.UPPER : TaskFamily.RECOLOUR;
            TaskGenerator.task("t-" + i, f.sample(rnd), rnd, x -> true).ifPresent(tasks::add);
        }
    }

    static PretrainConfig config(long seed, int steps) {
        return PretrainConfig.defaults(TINY, seed, steps).withLearningRate(3e-3, 4);
    }

    @Test
    void train_easyFamilies_lowersLossAndCheckpointReproducesLogits() throws Exception {
        try (BaseModelTrainer trainer = new BaseModelTrainer(config(11, 50))) {
            PretrainData.Batches batches = new PretrainData.Batches(tasks, 8, 0.5, 3);
            BaseModelTrainer.Result r = trainer.train(batches, List.of(), List.of(), s -> {});
            assertEquals(50, r.steps());
            assertEquals("steps", r.stopReason());
            double first = r.log().subList(0, 3).stream()
                    .mapToDouble(BaseModelTrainer.StepLog::answerLoss)
                    .average()
                    .orElseThrow();
            double last = r.meanAnswerLoss(5);
            System.out.printf(
                    "answer loss: first 3 steps %.4f, last 5 steps %.4f (%.0f tokens/s)%n",
                    first, last, r.tokensPerSecond());
            assertTrue(first > 5.0, "an untrained model is near uniform over 259 ids: " + first);
            assertTrue(last < 0.6 * first, "loss did not fall clearly: " + first + " -> " + last);

            Path dir = tmp.resolve("ckpt");
            trainer.save(dir, TensorDType.F32);
            PretrainData.Example ex = PretrainData.example(tasks.get(1), true, Phrasing.QA);
            int[][] rows = {ex.tokens(), Arrays.copyOf(ex.tokens(), ex.answerFrom())};
            float[] expected = trainer.logits(rows);
            try (LoadedModel model = LoadedModel.load(dir)) {
                assertArrayEquals(
                        Arrays.copyOf(ex.tokens(), ex.answerFrom()),
                        model.encode(ex.prompt()),
                        "the checkpoint's tokenizer encodes prompts as training did");
                float[] actual;
                try (NDManager m = model.decoder().weights().manager().newSubManager()) {
                    actual = model.decoder()
                            .logitsAllPositions(m, rows, AdapterBatch.NONE)
                            .toFloatArray();
                }
                assertEquals(expected.length, actual.length);
                float maxDiff = 0;
                for (int i = 0; i < expected.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
                }
                assertTrue(maxDiff < 1e-4f, "max |logit difference| " + maxDiff);
                String loaded = model.generate(
                                List.of(ex.prompt()),
                                List.of(new GenerationParams(
                                        BaseModelTrainer.MAX_ANSWER_TOKENS,
                                        0f,
                                        1f,
                                        List.of(PromptFormat.TERMINATOR),
                                        0L)))
                        .get(0)
                        .text();
                assertEquals(trainer.greedy(List.of(ex.prompt())).get(0), loaded);
            }
        }
    }

    @Test
    void train_sameSeed_repeatsLossesExactly() {
        double[] a = losses(5, 4);
        double[] b = losses(5, 4);
        double[] c = losses(6, 4);
        System.out.println("seed 5: " + Arrays.toString(a) + "; seed 6: " + Arrays.toString(c));
        assertArrayEquals(a, b);
        assertNotEquals(a[0], c[0]);
    }

    private static double[] losses(long seed, int steps) {
        try (BaseModelTrainer trainer = new BaseModelTrainer(config(seed, 40))) {
            PretrainData.Batches batches = new PretrainData.Batches(tasks, 8, 0.5, seed);
            double[] out = new double[steps];
            for (int i = 0; i < steps; i++) {
                out[i] = trainer.step(batches.next()).loss();
            }
            return out;
        }
    }

    @Test
    void learningRate_warmsUpThenDecaysToFloor() {
        PretrainConfig cfg = PretrainConfig.defaults(TINY, 1, 100).withLearningRate(1e-3, 10);
        try (BaseModelTrainer t = new BaseModelTrainer(cfg)) {
            assertEquals(1e-4, t.learningRate(1), 1e-12);
            assertEquals(1e-3, t.learningRate(10), 1e-12);
            assertEquals(1e-3, t.learningRate(11), 1e-12);
            assertTrue(t.learningRate(50) < 1e-3 && t.learningRate(50) > 1e-4);
            assertEquals(1e-4, t.learningRate(100), 1e-12);
        }
    }

    @Test
    void example_layoutIsBosPromptAnswerEos() {
        FewShotTask task = new FewShotTask("t", "upper", List.of(new Demonstration("ab", "AB")), "cd", "CD");
        PretrainData.Example e = PretrainData.example(task, true, Phrasing.ARROW);
        String prompt = PromptFormat.render(task, true, Phrasing.ARROW);
        assertEquals(prompt, e.prompt());
        assertEquals("CD", e.output());
        assertEquals(ByteTokenizer.BOS, e.tokens()[0]);
        assertEquals(ByteTokenizer.EOS, e.tokens()[e.tokens().length - 1]);
        assertEquals(1 + prompt.length(), e.answerFrom());
        assertEquals('\n', e.tokens()[e.tokens().length - 2]);
        assertEquals(prompt.length() + 5, e.tokens().length);
    }

    @Test
    void example_marksEachDemoOutputAndItsDelimiter_inEveryPhrasing() {
        FewShotTask task = new FewShotTask(
                "t", "upper", List.of(new Demonstration("ab", "AB"), new Demonstration("abc", "ABC")), "cd", "CD");
        for (Phrasing phrasing : Phrasing.values()) {
            PretrainData.Example e = PretrainData.example(task, true, phrasing);
            StringBuilder marked = new StringBuilder();
            for (int i = 0; i < e.tokens().length; i++) {
                if (e.demoOutput()[i]) {
                    marked.append((char) e.tokens()[i]);
                }
            }
            String delimiter = phrasing == Phrasing.ARROW ? ";" : "\n";
            assertEquals("AB" + delimiter + "ABC" + delimiter, marked.toString(), phrasing.label());
            PretrainData.Example bare = PretrainData.example(task, false, phrasing);
            for (boolean b : bare.demoOutput()) {
                assertTrue(!b, "no demonstrations, nothing marked");
            }
        }
    }

    @Test
    void evaluation_withoutDemos_skipsUnanswerableTasks() {
        FewShotTask sub = new FewShotTask(
                "s", "substitute", List.of(new Demonstration("ab", "ba")), "ba", "ab", java.util.Map.of());
        FewShotTask up = new FewShotTask("u", "upper", List.of(new Demonstration("ab", "AB")), "cd", "CD");
        assertEquals(1, PretrainData.evaluation(List.of(sub, up), false).size());
        assertEquals(2, PretrainData.evaluation(List.of(sub, up), true).size());
    }

    @Test
    void batches_sameSeed_sameOrder() {
        PretrainData.Batches a = new PretrainData.Batches(tasks, 4, 0.75, 9);
        PretrainData.Batches b = new PretrainData.Batches(tasks, 4, 0.75, 9);
        for (int i = 0; i < 20; i++) {
            List<PretrainData.Example> x = a.next();
            List<PretrainData.Example> y = b.next();
            assertEquals(4, x.size());
            for (int j = 0; j < x.size(); j++) {
                assertArrayEquals(x.get(j).tokens(), y.get(j).tokens());
            }
        }
    }

    @Test
    void llamaWeightsOf_missingOrMisshapenTensor_isRejected() {
        try (BaseModelTrainer trainer = new BaseModelTrainer(config(1, 1));
                NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            java.util.Map<String, ai.djl.ndarray.NDArray> arrays = new java.util.HashMap<>();
            for (var t : trainer.tensors()) {
                arrays.put(t.name(), m.create(t.values(), new ai.djl.ndarray.types.Shape(t.shape())));
            }
            arrays.put("model.norm.weight", m.zeros(new ai.djl.ndarray.types.Shape(63)));
            IllegalArgumentException shape = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> LlamaWeights.of(TINY, m, arrays::get));
            assertTrue(shape.getMessage().contains("model.norm.weight"), shape.getMessage());
            arrays.remove("lm_head.weight");
            IllegalArgumentException missing = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> LlamaWeights.of(TINY, m, arrays::get));
            assertTrue(missing.getMessage().contains("lm_head.weight"), missing.getMessage());
        }
    }

    @Test
    void cli_badArguments_exitTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, TrainBuiltin.run(new String[] {"--steps", "3"}, o, e));
        assertEquals(2, TrainBuiltin.run(new String[] {"--out", "x", "--bogus"}, o, e));
        assertEquals(2, TrainBuiltin.run(new String[] {"--out", "x", "--hidden", "30", "--heads", "4"}, o, e));
        assertEquals(2, TrainBuiltin.run(new String[] {"--out", "x", "--steps"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: TrainBuiltin"));
    }

    @Test
    void cli_tinyRun_writesLoadableCheckpointWithSummaryAndCurve() throws Exception {
        Path out = tmp.resolve("cli");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int code = TrainBuiltin.run(
                new String[] {
                    "--out",
                    out.toString(),
                    "--seed",
                    "3",
                    "--steps",
                    "2",
                    "--batch",
                    "4",
                    "--hidden",
                    "32",
                    "--layers",
                    "1",
                    "--intermediate",
                    "64",
                    "--eval-every",
                    "2",
                    "--eval-tasks",
                    "13"
                },
                new PrintStream(log, true, StandardCharsets.UTF_8),
                System.err);
        assertEquals(0, code, log.toString(StandardCharsets.UTF_8));
        List<String> csv = Files.readAllLines(out.resolve("loss.csv"));
        assertEquals(3, csv.size());
        assertTrue(csv.get(0).startsWith("step,lr,loss,answer_loss"));
        JsonNode json = new ObjectMapper().readTree(out.resolve("training.json").toFile());
        assertEquals(2, json.path("training").path("steps").asInt());
        assertEquals("F32", json.path("dtype").asText());
        assertTrue(json.path("results").path("val_exact_match").has("reverse"));
        assertTrue(json.path("command").asText().contains("--steps 2"));
        try (LoadedModel model = LoadedModel.load(out)) {
            assertEquals(32, model.config().hiddenSize());
            assertEquals(json.path("fingerprint").asText(), model.fingerprint());
        }
    }
}
