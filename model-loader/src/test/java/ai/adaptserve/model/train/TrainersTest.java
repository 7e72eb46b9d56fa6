package ai.adaptserve.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.ModelOptions;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.adapter.MalformedAdapterException;
import ai.adaptserve.model.adapter.RowAdapterBatch;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.llama.DecodeSession;
import ai.adaptserve.model.llama.LlamaWeights;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter trainers on a tiny random Llama (3 layers, hidden 64, byte vocabulary, untied head): each learns what
 * it should within a few dozen steps, stops within its budget, and leaves the base model exactly as it was.
 *
 * <p>This model's head has small weights behind a fixed-norm RMSNorm, which caps any token's probability near 0.35
 * (loss ≈ 1.0) unless the adapter also changes the head; so LoRA runs here include the head and z-vectors include
 * the head's singular values.
 */
class TrainersTest {
    @TempDir
    static Path tmp;

    static LoadedModel model;

    /** z-vector targets of these tests: Transformer²'s MLP plus the head. */
    static final Set<TargetMatrix> Z_TARGETS =
            EnumSet.of(TargetMatrix.GATE, TargetMatrix.UP, TargetMatrix.DOWN, TargetMatrix.HEAD);

    /** Task A: reverse a short string. */
    static final List<TrainingExample> REVERSE = List.of(
            new TrainingExample("abc=", "cba"),
            new TrainingExample("hello=", "olleh"),
            new TrainingExample("xyz=", "zyx"),
            new TrainingExample("java=", "avaj"),
            new TrainingExample("moon=", "noom"),
            new TrainingExample("tree=", "eert"));

    /** Task B: the first character three times. */
    static final List<TrainingExample> TRIPLE = List.of(
            new TrainingExample("abc=", "aaa"),
            new TrainingExample("hello=", "hhh"),
            new TrainingExample("xyz=", "xxx"),
            new TrainingExample("java=", "jjj"),
            new TrainingExample("moon=", "mmm"),
            new TrainingExample("tree=", "ttt"));

    static final String FACTS =
            "Ada keeps the red key. Bo keeps the blue cup. Cy keeps the green hat. Di keeps the gold coin. ";

    private static ZVector expertReverse;
    private static ZVector expertTriple;

    @BeforeAll
    static void load() {
        // The test JVM runs PyTorch on one thread (ai.djl.pytorch.num_threads=1, root pom): exact losses repeat.
        Path dir = TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(false, false), 7, TensorDType.F32, 0);
        model = LoadedModel.load(
                dir, ModelOptions.defaults().withSvdTargets(Z_TARGETS).withSvdCacheDir(tmp.resolve("svd")));
        model.svdFactors();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static String f(double d) {
        return String.format(Locale.ROOT, "%.4f", d);
    }

    static ZVectorTrainer.Config zConfig() {
        return new ZVectorTrainer.Config(Z_TARGETS, 1e-1f, 40, 8, 1L, false);
    }

    static synchronized ZVector expertReverse() {
        if (expertReverse == null) {
            expertReverse = ZVectorTrainer.trainCrossEntropy(
                            model, REVERSE, zConfig(), TrainingBudget.steps(40), TrainingListener.NONE)
                    .adapter();
        }
        return expertReverse;
    }

    static synchronized ZVector expertTriple() {
        if (expertTriple == null) {
            expertTriple = ZVectorTrainer.trainCrossEntropy(
                            model, TRIPLE, zConfig(), TrainingBudget.steps(40), TrainingListener.NONE)
                    .adapter();
        }
        return expertTriple;
    }

    /** Mean negative log-likelihood per completion token, scored through the inference path (RowAdapterBatch). */
    static double meanNll(List<TrainingExample> data, Optional<Adapter> adapter) {
        return -Scoring.score(model, adapter, Sequences.examples(model, data)).meanLogProb();
    }

    static float[][][] logits(int[][] rows, Optional<Adapter> adapter) {
        List<Optional<Adapter>> per = Collections.nCopies(rows.length, adapter);
        try (DecodeSession s = new DecodeSession(
                model.decoder(), rows.length, model.adapterBatch(per, RowAdapterBatch.Execution.AUTO))) {
            return s.prefillAllPositions(rows);
        }
    }

    static float[] baseLogits(int[] prompt) {
        try (NDManager step = model.decoder().weights().manager().newSubManager()) {
            return model.decoder()
                    .logitsAllPositions(step, new int[][] {prompt}, AdapterBatch.NONE)
                    .toFloatArray();
        }
    }

    static double fraction(String text, char c) {
        if (text.isEmpty()) {
            return 0;
        }
        return (double) text.chars().filter(x -> x == c).count() / text.length();
    }

    /** Mean reward of {@code n} fresh samples per prompt (seeds unlike the trainer's). */
    static double meanReward(List<String> prompts, Optional<Adapter> adapter, Reward reward, int n) {
        List<String> ps = new ArrayList<>();
        List<GenerationParams> params = new ArrayList<>();
        for (String p : prompts) {
            for (int i = 0; i < n; i++) {
                ps.add(p);
                params.add(new GenerationParams(8, 1f, 1f, List.of(), 90_000 + ps.size()));
            }
        }
        double sum = 0;
        for (Generation g : model.generate(ps, params, Collections.nCopies(ps.size(), adapter))) {
            sum += reward.score("", g.text());
        }
        return sum / ps.size();
    }

    // ---------------------------------------------------------------- 1. LoRA

    @Test
    void loraTrain_onStringReversalPairs_lossFallsAndGreedyDecodingReproducesTargets() {
        LoraTrainer.Config cfg =
                new LoraTrainer.Config(8, 16f, LoraTrainer.Config.DEFAULT_TARGETS, true, 2e-2f, 0f, 40, 8, 1L);
        double before = meanNll(REVERSE, Optional.empty());
        List<TrainingProgress> events = new ArrayList<>();
        TrainingResult<LoraAdapter> r = LoraTrainer.train(model, REVERSE, cfg, TrainingBudget.steps(1000), events::add);
        double after = meanNll(REVERSE, Optional.of(r.adapter()));
        List<String> prompts = REVERSE.stream().map(TrainingExample::prompt).toList();
        List<Generation> out = model.generate(
                prompts,
                Collections.nCopies(prompts.size(), GenerationParams.greedy(12)),
                Collections.nCopies(prompts.size(), Optional.of(r.adapter())));
        List<String> texts = out.stream().map(Generation::text).toList();
        System.out.println("[lora] " + r.summary() + " nll(base) " + f(before) + " nll(adapter) " + f(after)
                + " loss at steps 10/20/30/40 "
                + events.stream()
                        .filter(e -> e.step() % 10 == 0)
                        .map(e -> f(e.loss()))
                        .toList() + " greedy " + texts);

        assertEquals(StopReason.COMPLETED, r.stopReason());
        assertEquals(40, r.steps());
        assertTrue(r.lastLoss() < 0.1, "last training loss " + r.lastLoss());
        assertTrue(after < 0.1, "nll through the inference path " + after);
        assertEquals(REVERSE.stream().map(TrainingExample::completion).toList(), texts);
        for (Generation g : out) {
            assertEquals(Generation.FinishReason.EOS, g.finishReason());
        }
    }

    // ---------------------------------------------------------------- 2. z-vector, cross-entropy

    @Test
    void zVectorCrossEntropy_onReversal_lowersLossAndAdapterFileRoundTripGivesIdenticalLogits()
            throws MalformedAdapterException {
        double before = meanNll(REVERSE, Optional.empty());
        TrainingResult<ZVector> r = ZVectorTrainer.trainCrossEntropy(
                model, REVERSE, zConfig(), TrainingBudget.steps(40), TrainingListener.NONE);
        ZVector z = r.adapter();
        double after = meanNll(REVERSE, Optional.of(z));

        byte[] bytes =
                AdapterFile.toBytes(z, new AdapterFile.Metadata(model.fingerprint(), Instant.now(), r.summary()));
        AdapterFile.Read read = AdapterFile.fromBytes(bytes, model.fingerprint(), model.config());
        int[][] rows = Sequences.of(Sequences.examples(model, REVERSE)).rows();
        float[][][] original = logits(rows, Optional.of(z));
        float[][][] reloaded = logits(rows, Optional.of(read.adapter()));

        // The trainer's own forward (factored, all rows) agrees with the inference path on the exported z.
        double trainerVsServing;
        try (TrainableZ t = new TrainableZ(
                        model.decoder().weights().manager(), model.svdFactors(), z.targets(), false, z.z());
                NDManager step = model.decoder().weights().manager().newSubManager()) {
            t.bind(step, false);
            NDArray l = model.decoder().logitsAllPositions(step, new int[][] {rows[1]}, t);
            float[] trainer = l.toFloatArray();
            float[] serving = flatten(original[1]);
            trainerVsServing = maxDiff(trainer, serving);
            t.unbind();
        }
        System.out.println("[svf-ce] " + r.summary() + " nll(base) " + f(before) + " nll(z) " + f(after)
                + " file " + bytes.length + " bytes, training metadata "
                + read.metadata().training()
                + ", trainer-vs-serving max |Δlogit| " + trainerVsServing);

        assertEquals(40, r.steps());
        assertTrue(r.lastLoss() < r.firstLoss() / 4, "loss " + r.firstLoss() + " -> " + r.lastLoss());
        assertTrue(after < before / 4, "nll " + before + " -> " + after);
        assertEquals(z, read.adapter());
        assertEquals(r.summary(), read.metadata().training());
        for (int i = 0; i < rows.length; i++) {
            for (int p = 0; p < rows[i].length; p++) {
                assertArrayEquals(original[i][p], reloaded[i][p], "row " + i + " position " + p);
            }
        }
        assertTrue(trainerVsServing < 1e-3, "trainer and serving disagree by " + trainerVsServing);
    }

    static float[] flatten(float[][] a) {
        int n = 0;
        for (float[] r : a) {
            n += r.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] r : a) {
            System.arraycopy(r, 0, out, o, r.length);
            o += r.length;
        }
        return out;
    }

    static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    // ---------------------------------------------------------------- 3. document

    @Test
    void documentTraining_onRepetitiveFacts_lowersPerplexityOfHeldOutLaterPart() {
        String document = FACTS.repeat(3);
        String heldOut = FACTS;
        double base = Perplexity.of(model, Optional.empty(), heldOut);
        double inContext = Perplexity.ofContinuation(model, Optional.empty(), document, heldOut);
        StringBuilder report = new StringBuilder();
        for (DocumentTrainer.Config cfg : List.of(
                new DocumentTrainer.Config(
                        DocumentTrainer.Kind.LORA,
                        64,
                        2e-2f,
                        3,
                        8,
                        16f,
                        EnumSet.of(
                                TargetMatrix.Q,
                                TargetMatrix.K,
                                TargetMatrix.V,
                                TargetMatrix.O,
                                TargetMatrix.GATE,
                                TargetMatrix.UP,
                                TargetMatrix.DOWN,
                                TargetMatrix.HEAD),
                        1L),
                new DocumentTrainer.Config(DocumentTrainer.Kind.SVF, 64, 1e-1f, 3, 8, 16f, Z_TARGETS, 1L))) {
            TrainingResult<Adapter> r =
                    DocumentTrainer.train(model, document, cfg, TrainingBudget.steps(100), TrainingListener.NONE);
            double learned = Perplexity.of(model, Optional.of(r.adapter()), heldOut);
            double learnedCont = Perplexity.ofContinuation(model, Optional.of(r.adapter()), "", heldOut);
            report.append(" ")
                    .append(cfg.kind())
                    .append(": ")
                    .append(r.summary())
                    .append(" held-out ppl ")
                    .append(f(learned))
                    .append(" (as continuation of nothing ")
                    .append(f(learnedCont))
                    .append(")");
            assertEquals(StopReason.COMPLETED, r.stopReason());
            assertEquals(15, r.steps(), "5 chunks of 64 tokens x 3 passes");
            assertTrue(learned < base / 2, cfg.kind() + ": held-out perplexity " + base + " -> " + learned);
        }
        System.out.println("[document] held-out ppl base " + f(base) + ", base with the document in context "
                + f(inContext) + ";" + report);
    }

    // ---------------------------------------------------------------- 4. REINFORCE

    @Test
    void reinforce_onTargetCharacterReward_raisesMeanReward() {
        List<String> prompts = List.of("a:", "b:", "c:", "d:");
        Reward reward = (p, c) -> fraction(c, 'i');
        ZVectorTrainer.ReinforceConfig cfg =
                new ZVectorTrainer.ReinforceConfig(8, 1f, 8, 0.05, 2e-1f, 1L, 20, Z_TARGETS, false);
        double before = meanReward(prompts, Optional.empty(), reward, 16);
        List<TrainingProgress> events = new ArrayList<>();
        TrainingResult<ZVector> r =
                ZVectorTrainer.trainReinforce(model, prompts, reward, cfg, TrainingBudget.steps(100), events::add);
        double after = meanReward(prompts, Optional.of(r.adapter()), reward, 16);
        System.out.println("[reinforce] " + r.summary() + " mean reward (fresh samples) before " + f(before)
                + " after " + f(after) + "; per step "
                + events.stream().map(e -> f(-e.loss())).toList());
        assertEquals(StopReason.COMPLETED, r.stopReason());
        assertEquals(20, r.steps());
        assertTrue(after > 3 * before && after > before + 0.05, "reward " + before + " -> " + after);
    }

    // ---------------------------------------------------------------- 5. CEM

    @Test
    void cemMixtureSearch_onTaskAExamples_beatsUniformMixtureAndFavoursTaskAExpert() {
        List<ZVector> experts = List.of(expertReverse(), expertTriple());
        for (boolean perLayer : new boolean[] {false, true}) {
            CemMixtureSearch.Config cfg = new CemMixtureSearch.Config(12, 0.25, 6, 0.3, perLayer, 3L);
            CemMixtureSearch.Result r = CemMixtureSearch.search(
                    model, experts, REVERSE, cfg, TrainingBudget.steps(100), TrainingListener.NONE);
            double meanA = mean(r.alphas()[0]);
            double meanB = mean(r.alphas()[1]);
            System.out.println("[cem] perLayer " + perLayer + ": score " + f(r.score()) + " uniform "
                    + f(r.baselineScore())
                    + " alphas reverse " + Arrays.toString(r.alphas()[0]) + " triple " + Arrays.toString(r.alphas()[1])
                    + " iterations " + r.iterations() + " " + r.elapsedMs() + " ms");
            assertEquals(StopReason.COMPLETED, r.stopReason());
            assertTrue(r.score() > r.baselineScore() + 0.1, "score " + r.score() + " vs uniform " + r.baselineScore());
            assertTrue(meanA > meanB, "alpha of the task-A expert " + meanA + " vs " + meanB);
            assertEquals(ZVector.mix(experts, r.alphas()), r.mixture());
        }
    }

    static double mean(float[] a) {
        double s = 0;
        for (float x : a) {
            s += x;
        }
        return s / a.length;
    }

    // ---------------------------------------------------------------- 6. budget

    /** A clock that moves only when the test moves it. */
    static final class HandClock implements TrainingClock {
        long now;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    /**
     * Every trainer stops at its step limit, and at its wall-time limit as read from the budget's clock: here a clock
     * the test moves by a whole budget at the first step's event, so exactly one step fits; and a clock that never
     * moves lets a 1 ns budget run to its step limit (the trainers read no other clock).
     */
    @Test
    void budget_maxStepsAndWallTime_stopCleanlyWithOneEventPerStep() {
        TrainingBudget three = TrainingBudget.steps(3);
        Duration second = Duration.ofSeconds(1);
        LoraTrainer.Config lora = LoraTrainer.Config.defaults().withEpochs(50);
        ZVectorTrainer.Config z = zConfig();
        ZVectorTrainer.ReinforceConfig rl =
                new ZVectorTrainer.ReinforceConfig(2, 1f, 4, 0.1, 1e-2f, 1L, 50, Z_TARGETS, false);
        DocumentTrainer.Config doc =
                DocumentTrainer.Config.svf().withChunkTokens(16).withPasses(5);
        DocumentTrainer.Config docLora =
                DocumentTrainer.Config.lora().withChunkTokens(16).withPasses(5);
        Map<String, java.util.function.BiFunction<TrainingBudget, TrainingListener, TrainingResult<?>>> trainers =
                new java.util.LinkedHashMap<>();
        trainers.put("lora", (b, l) -> LoraTrainer.train(model, REVERSE, lora, b, l));
        trainers.put("svf-ce", (b, l) -> ZVectorTrainer.trainCrossEntropy(model, REVERSE, z, b, l));
        trainers.put(
                "svf-reinforce",
                (b, l) -> ZVectorTrainer.trainReinforce(model, List.of("a:"), (p, c) -> 0.5, rl, b, l));
        trainers.put("document-svf", (b, l) -> DocumentTrainer.train(model, FACTS, doc, b, l));
        trainers.put("document-lora", (b, l) -> DocumentTrainer.train(model, FACTS, docLora, b, l));
        StringBuilder report = new StringBuilder();
        for (var e : trainers.entrySet()) {
            List<TrainingProgress> events = new ArrayList<>();
            TrainingResult<?> r = e.getValue().apply(three, events::add);
            assertEquals(3, r.steps(), e.getKey());
            assertEquals(StopReason.MAX_STEPS, r.stopReason(), e.getKey());
            assertEquals(
                    List.of(1, 2, 3),
                    events.stream().map(TrainingProgress::step).toList(),
                    e.getKey());
            assertTrue(events.stream().allMatch(p -> p.phase().equals(e.getKey())), e.getKey() + " " + events);
            assertEquals(events.get(0).loss(), r.firstLoss(), e.getKey());
            assertEquals(events.get(2).loss(), r.lastLoss(), e.getKey());

            HandClock clock = new HandClock();
            List<TrainingProgress> timed = new ArrayList<>();
            TrainingResult<?> t = e.getValue().apply(new TrainingBudget(1000, second, clock), p -> {
                timed.add(p);
                clock.now += second.toNanos();
            });
            assertEquals(StopReason.WALL_TIME, t.stopReason(), e.getKey());
            assertEquals(1, t.steps(), e.getKey());
            assertEquals(1, timed.size(), e.getKey());
            assertEquals(1000, t.elapsedMs(), e.getKey());

            TrainingResult<?> frozen = e.getValue()
                    .apply(new TrainingBudget(3, Duration.ofNanos(1), new HandClock()), TrainingListener.NONE);
            assertEquals(StopReason.MAX_STEPS, frozen.stopReason(), e.getKey());
            assertEquals(3, frozen.steps(), e.getKey());
            report.append(" ")
                    .append(e.getKey())
                    .append(": ")
                    .append(r.summary())
                    .append(" / 1 s on a hand clock: ")
                    .append(t.summary());
        }
        List<TrainingProgress> events = new ArrayList<>();
        CemMixtureSearch.Result cem = CemMixtureSearch.search(
                model,
                List.of(expertReverse(), expertTriple()),
                REVERSE,
                new CemMixtureSearch.Config(4, 0.5, 10, 0.3, false, 1L),
                three,
                events::add);
        assertEquals(3, cem.iterations());
        assertEquals(StopReason.MAX_STEPS, cem.stopReason());
        assertEquals(3, events.size());
        HandClock clock = new HandClock();
        CemMixtureSearch.Result cemTimed = CemMixtureSearch.search(
                model,
                List.of(expertReverse(), expertTriple()),
                REVERSE,
                new CemMixtureSearch.Config(4, 0.5, 10, 0.3, false, 1L),
                new TrainingBudget(1000, second, clock),
                p -> clock.now += second.toNanos());
        assertEquals(StopReason.WALL_TIME, cemTimed.stopReason());
        assertEquals(1, cemTimed.iterations());
        report.append(" cem: ")
                .append(cem.iterations())
                .append(" iterations ")
                .append(cem.stopReason())
                .append(" / 1 s on a hand clock: ")
                .append(cemTimed.iterations())
                .append(" ")
                .append(cemTimed.stopReason());
        System.out.println("[budget]" + report);
    }

    // ---------------------------------------------------------------- 7. base untouched

    @Test
    void training_ofEveryKind_leavesBaseLogitsBitwiseEqualAndNoArraysBehind() {
        int[] prompt = model.encode("The quick brown fox");
        expertReverse();
        expertTriple();
        float[] before = baseLogits(prompt);
        int arrays = model.nativeArrayCount();
        List<Supplier<Object>> runs = List.of(
                () -> LoraTrainer.train(
                        model,
                        REVERSE,
                        LoraTrainer.Config.defaults().withEpochs(2),
                        TrainingBudget.steps(2),
                        TrainingListener.NONE),
                () -> ZVectorTrainer.trainCrossEntropy(
                        model, REVERSE, zConfig(), TrainingBudget.steps(2), TrainingListener.NONE),
                () -> ZVectorTrainer.trainReinforce(
                        model,
                        List.of("a:", "b:"),
                        (p, c) -> fraction(c, 'i'),
                        new ZVectorTrainer.ReinforceConfig(2, 1f, 4, 0.1, 1e-1f, 1L, 2, Z_TARGETS, true),
                        TrainingBudget.steps(2),
                        TrainingListener.NONE),
                () -> DocumentTrainer.train(
                        model,
                        FACTS,
                        DocumentTrainer.Config.lora().withChunkTokens(32),
                        TrainingBudget.steps(2),
                        TrainingListener.NONE),
                () -> CemMixtureSearch.search(
                        model,
                        List.of(expertReverse(), expertTriple()),
                        REVERSE,
                        new CemMixtureSearch.Config(4, 0.5, 1, 0.3, true, 1L),
                        TrainingBudget.steps(1),
                        TrainingListener.NONE),
                () -> Perplexity.of(model, Optional.of(expertReverse()), FACTS));
        for (Supplier<Object> run : runs) {
            run.get();
            assertEquals(arrays, model.nativeArrayCount(), "arrays left on the model's manager");
        }
        float[] after = baseLogits(prompt);
        LlamaWeights w = model.decoder().weights();
        boolean anyGrad = w.embed().hasGradient()
                || w.lmHeadT().hasGradient()
                || w.finalNorm().hasGradient();
        for (LlamaWeights.Layer l : w.layers()) {
            for (NDArray a :
                    List.of(l.qT(), l.kT(), l.vT(), l.oT(), l.gateT(), l.upT(), l.downT(), l.attnNorm(), l.mlpNorm())) {
                anyGrad |= a.hasGradient();
            }
        }
        System.out.println("[base] " + before.length + " logits bitwise equal: " + Arrays.equals(before, after)
                + ", native arrays " + arrays + " -> " + model.nativeArrayCount() + ", any base weight requiring grad: "
                + anyGrad);
        assertArrayEquals(before, after);
        assertEquals(arrays, model.nativeArrayCount());
        assertFalse(anyGrad);
    }

    // ---------------------------------------------------------------- perplexity

    @Test
    void perplexity_ofTextLongerThanTheContext_scoresEveryTokenInWindows() {
        String longText = FACTS.repeat(8);
        int tokens = model.encode(longText).length;
        double windowed = Perplexity.of(model, Optional.empty(), longText);
        double first = Perplexity.of(model, Optional.empty(), FACTS.repeat(2));
        double cut = Perplexity.ofContinuation(model, Optional.empty(), longText, FACTS);
        double uncut = Perplexity.ofContinuation(model, Optional.empty(), FACTS, FACTS);
        System.out.println(
                "[perplexity] " + tokens + " tokens (context " + model.config().maxPositionEmbeddings()
                        + "): windowed " + f(windowed) + ", first 2 repetitions " + f(first)
                        + "; continuation after a cut context "
                        + f(cut) + ", after a short one " + f(uncut));
        assertTrue(tokens > model.config().maxPositionEmbeddings());
        assertTrue(Double.isFinite(windowed)
                && windowed > 1
                && windowed < ai.adaptserve.model.tokenizer.ByteTokenizer.VOCAB * 4);
        assertTrue(Double.isFinite(cut) && cut > 1);
        assertTrue(cut != uncut, "a different context must change the continuation's perplexity");
    }

    // ---------------------------------------------------------------- helpers under test

    @Test
    void sequences_example_masksOnlyCompletionAndEos() {
        Sequences.Row row = Sequences.example(model, new TrainingExample("ab", "cd"));
        assertArrayEquals(new int[] {256, 'a', 'b', 'c', 'd', 257}, row.tokens());
        Sequences s = Sequences.of(List.of(row, Sequences.example(model, new TrainingExample("x", "y"))));
        try (NDManager m = model.decoder().weights().manager().newSubManager()) {
            // row 1 is [BOS x y EOS], left-padded by 2: positions 2..5; targets at x (→ y) and y (→ EOS).
            assertArrayEquals(
                    new float[] {0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0}, s.mask(m).toFloatArray());
            assertArrayEquals(
                    new long[] {0, 0, 'c', 'd', 257, 0, 0, 0, 0, 'y', 257, 0},
                    s.targets(m).toLongArray());
        }
        assertEquals(5, s.lossTokens());
        System.out.println("[sequences] rows " + Arrays.deepToString(s.rows()) + " loss tokens " + s.lossTokens());
    }

    @Test
    void adamW_onSumOfSquares_matchesAReferenceComputation() {
        float lr = 0.1f;
        float wd = 0.05f;
        int planned = 4;
        double[] ref = {1.0, -2.0, 0.5};
        double[] m = new double[3];
        double[] v = new double[3];
        try (TrainableBatch<ZVector> params = new TrainableBatch<>(
                model.decoder().weights().manager()) {
            @Override
            public NDArray project(NDManager step, ai.adaptserve.model.adapter.MatrixRef mr, NDArray x, NDArray baseT) {
                return x.matMul(baseT);
            }

            @Override
            ZVector export() {
                return new ZVector(Map.of(), false);
            }
        }) {
            TrainableBatch.Param p =
                    params.param("p", new float[] {1f, -2f, 0.5f}, new ai.djl.ndarray.types.Shape(3), true);
            AdamW opt = new AdamW(params, lr, wd, planned);
            TrainingLoop loop =
                    new TrainingLoop("test", TrainingBudget.steps(planned), TrainingListener.NONE, System.nanoTime());
            for (int t = 1; t <= planned; t++) {
                double loss =
                        loop.gradientStep(params, opt, step -> p.live().square().sum());
                double expectLoss = 0;
                double rate = opt.learningRate(t);
                for (int i = 0; i < 3; i++) {
                    expectLoss += ref[i] * ref[i];
                    double g = 2 * ref[i];
                    m[i] = 0.9 * m[i] + 0.1 * g;
                    v[i] = 0.999 * v[i] + 0.001 * g * g;
                    double mh = m[i] / (1 - Math.pow(0.9, t));
                    double vh = v[i] / (1 - Math.pow(0.999, t));
                    ref[i] = ref[i] * (1 - rate * wd) - rate * mh / (Math.sqrt(vh) + 1e-8);
                }
                assertEquals(expectLoss, loss, 1e-5, "loss at step " + t);
            }
            float[] got = p.value.toFloatArray();
            System.out.println("[adamw] after " + planned + " steps " + Arrays.toString(got) + " reference "
                    + Arrays.toString(ref) + "; lr by step " + opt.learningRate(1) + ", " + opt.learningRate(2) + ", "
                    + opt.learningRate(3) + ", " + opt.learningRate(4));
            for (int i = 0; i < 3; i++) {
                assertEquals(ref[i], got[i], 1e-5, "parameter " + i);
            }
            assertEquals(lr, opt.learningRate(1), 1e-7);
            assertEquals(lr * AdamW.FLOOR, opt.learningRate(planned), 1e-7);
        }
    }

    @Test
    void advantages_withSeveralSamplesPerPrompt_subtractEachPromptsOwnMean() {
        float[] adv = ZVectorTrainer.advantages(new double[] {1, 0, 0.5, 0.5}, 2, 0.5);
        assertArrayEquals(new float[] {0.5f, -0.5f, 0f, 0f}, adv);
        float[] single = ZVectorTrainer.advantages(new double[] {1, 0}, 1, 0.5);
        assertArrayEquals(new float[] {0.5f, -0.5f}, single);
    }
}
