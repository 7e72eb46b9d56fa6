package ai.adaptserve.model.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.ModelOptions;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.RandomAdapters;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.generate.PromptTokens;
import ai.adaptserve.model.generate.StreamHandoff;
import ai.adaptserve.model.generate.TokenListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's promises, each against the same model run another way: a row gives the same answer alone or beside
 * others with other adapters, and the same as {@link ai.adaptserve.model.generate.BatchGenerator} (the concatenating
 * cache of one batch, an independent path); rows end on their own; admission refuses what never fits.
 */
class DecodeEngineTest {
    static final double LOGPROB_TOL = 1e-4;

    @TempDir
    static Path tmp;

    static LoadedModel model;
    static List<Optional<Adapter>> adapters;

    @BeforeAll
    static void load() {
        Path dir = TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(false, true), 3, TensorDType.F32, 0);
        model = LoadedModel.load(
                dir,
                ModelOptions.defaults()
                        .withSvdTargets(EnumSet.of(TargetMatrix.GATE, TargetMatrix.UP, TargetMatrix.DOWN))
                        .withSvdCacheDir(tmp.resolve("svd")));
        var ranks = model.svdFactors().ranks();
        Adapter zA = RandomAdapters.z(ranks, 0.4, 1, false);
        Adapter zB = RandomAdapters.z(ranks, 0.4, 2, true);
        Adapter loraA = RandomAdapters.lora(model.config(), TargetMatrix.ATTENTION, true, 4, 3);
        Adapter loraB =
                RandomAdapters.lora(model.config(), EnumSet.of(TargetMatrix.GATE, TargetMatrix.DOWN), false, 8, 4);
        adapters = List.of(
                Optional.empty(),
                Optional.of(zA),
                Optional.of(loraA),
                Optional.of(zB),
                Optional.of(loraB),
                Optional.empty(),
                Optional.of(zA),
                Optional.of(loraB));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static EngineSettings settings(int rows, int waiting, int chunk) {
        return new EngineSettings(64L << 20, rows, 256, waiting, chunk);
    }

    static PromptTokens prompt(int i) {
        return model.tokenize("in: " + "abcdefgh".substring(0, 1 + i % 8) + " " + i + "\nout: ");
    }

    static Generation single(DecodeEngine engine, EngineRequest r) throws Exception {
        return accepted(engine.submit(r)).get(60, TimeUnit.SECONDS).get(0);
    }

    static CompletableFuture<List<Generation>> accepted(Submission s) {
        return assertInstanceOf(Submission.Accepted.class, s).result();
    }

    static void assertSame(Generation alone, Generation batched, String what) {
        assertEquals(alone.text(), batched.text(), what + ": text");
        assertEquals(alone.tokens(), batched.tokens(), what + ": tokens");
        for (int t = 0; t < alone.logprobs().size(); t++) {
            double d = Math.abs(alone.logprobs().get(t) - batched.logprobs().get(t));
            assertTrue(d < LOGPROB_TOL, what + ": logprob of token " + t + " differs by " + d);
        }
    }

    /**
     * A greedy request on the base model whose listener holds the engine's thread at each of its tokens until
     * {@code release} opens (at most 30 s): what is submitted meanwhile waits behind it.
     */
    static CompletableFuture<List<Generation>> holding(
            DecodeEngine engine, PromptTokens prompt, int maxTokens, CountDownLatch release) {
        return accepted(engine.submit(new EngineRequest(
                prompt,
                List.of(GenerationParams.greedy(maxTokens)),
                Optional.empty(),
                Optional.empty(),
                () -> false,
                () -> false,
                (s, text, done) -> {
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })));
    }

    /** Runs every request alone, one after the other, then all eight together; also records the peak batch. */
    static void aloneVersusBatched(List<GenerationParams> params) throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(8, 8, 64))) {
            List<Generation> alone = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                alone.add(single(engine, EngineRequest.of(prompt(i), List.of(params.get(i)), adapters.get(i))));
            }
            AtomicInteger peak = new AtomicInteger();
            RowListener watch =
                    (s, text, done) -> peak.accumulateAndGet(engine.stats().runningRows(), Math::max);
            List<CompletableFuture<List<Generation>>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(accepted(engine.submit(new EngineRequest(
                        prompt(i),
                        List.of(params.get(i)),
                        adapters.get(i),
                        Optional.empty(),
                        () -> false,
                        () -> false,
                        watch))));
            }
            for (int i = 0; i < 8; i++) {
                assertSame(
                        alone.get(i),
                        futures.get(i).get(60, TimeUnit.SECONDS).get(0),
                        "row " + i + " " + adapters.get(i));
            }
            assertTrue(peak.get() >= 6, "the rows ran together (peak " + peak.get() + " rows)");
            assertEquals(0, engine.stats().kvBytesInUse(), "every slot is free again");
        }
    }

    @Test
    void greedyRow_alone_equalsBatchedBesideSevenOthersWithOtherAdapters() throws Exception {
        List<GenerationParams> p = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            p.add(GenerationParams.greedy(20 + i));
        }
        aloneVersusBatched(p);
    }

    @Test
    void seededSampledRow_alone_equalsBatched() throws Exception {
        List<GenerationParams> p = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            p.add(new GenerationParams(20, 0.9f, i % 2 == 0 ? 1f : 0.9f, List.of(), 100 + i));
        }
        aloneVersusBatched(p);
    }

    @Test
    void engine_equalsTheConcatenatingBatchGenerator() throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(4, 4, 5))) {
            for (int i = 0; i < 4; i++) {
                GenerationParams g = GenerationParams.greedy(16);
                Generation ref = model.generateFromTokens(List.of(prompt(i)), List.of(g), List.of(adapters.get(i)))
                        .get(0);
                assertSame(ref, single(engine, EngineRequest.of(prompt(i), List.of(g), adapters.get(i))), "row " + i);
            }
        }
    }

    @Test
    void samples_shareOnePrefill_andEachEqualsItsSeedAlone() throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(8, 8, 64))) {
            PromptTokens p = prompt(3);
            List<GenerationParams> samples = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                samples.add(new GenerationParams(1, 1f, 1f, List.of(), 7 + i));
            }
            long before = model.decoder().positionsRun();
            List<Generation> together = accepted(engine.submit(EngineRequest.of(p, samples, adapters.get(2))))
                    .get(60, TimeUnit.SECONDS);
            assertEquals(p.length(), model.decoder().positionsRun() - before, "the prompt ran once for 4 samples");
            for (int i = 0; i < 4; i++) {
                List<GenerationParams> longer = List.of(new GenerationParams(12, 1f, 1f, List.of(), 7 + i));
                Generation alone = single(engine, EngineRequest.of(p, longer, adapters.get(2)));
                assertEquals(alone.tokens().get(0), together.get(i).tokens().get(0), "sample " + i);
            }
            List<GenerationParams> four = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                four.add(new GenerationParams(12, 1f, 1f, List.of(), 7 + i));
            }
            List<Generation> copied = accepted(engine.submit(EngineRequest.of(p, four, adapters.get(2))))
                    .get(60, TimeUnit.SECONDS);
            for (int i = 0; i < 4; i++) {
                Generation alone = single(engine, EngineRequest.of(p, List.of(four.get(i)), adapters.get(2)));
                assertSame(alone, copied.get(i), "sample " + i + " decoding from a copied prefill");
            }
        }
    }

    @Test
    void promptsOfOneLengthArrivingTogether_arePrefilledInOnePass_andAnswerAsEachAlone() throws Exception {
        List<PromptTokens> prompts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            prompts.add(model.tokenize("in: " + "abcdefgh".charAt(i) + "\nout: "));
        }
        for (PromptTokens p : prompts) {
            assertEquals(prompts.get(0).length(), p.length(), "the prompts are of one length");
        }
        prefilledTogether(prompts);
    }

    @Test
    void promptsOfDifferentLengthsArrivingTogether_arePaddedIntoOnePass_andAnswerAsEachAlone() throws Exception {
        List<PromptTokens> prompts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            prompts.add(prompt(i));
        }
        assertTrue(
                prompts.stream().mapToInt(PromptTokens::length).distinct().count() > 4,
                "the prompts are of several lengths");
        prefilledTogether(prompts);
    }

    /**
     * Runs each of eight prompts alone, then all eight admitted at once behind a request that holds the engine's
     * thread: they take one prefill pass, and each answer equals its run alone.
     */
    static void prefilledTogether(List<PromptTokens> prompts) throws Exception {
        int longest = prompts.stream().mapToInt(PromptTokens::length).max().orElseThrow();
        try (DecodeEngine engine = DecodeEngine.start(model, settings(9, 8, 8 * longest))) {
            List<Generation> alone = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                alone.add(single(
                        engine,
                        EngineRequest.of(prompts.get(i), List.of(GenerationParams.greedy(12)), adapters.get(i))));
            }
            EngineStats before = engine.stats();
            // A first request holds the engine's thread in its listener until all eight are admitted behind it.
            CountDownLatch admittedAll = new CountDownLatch(1);
            CompletableFuture<List<Generation>> holder = holding(engine, prompt(3), 2, admittedAll);
            List<CompletableFuture<List<Generation>>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(accepted(engine.submit(
                        EngineRequest.of(prompts.get(i), List.of(GenerationParams.greedy(12)), adapters.get(i)))));
            }
            admittedAll.countDown();
            for (int i = 0; i < 8; i++) {
                assertSame(
                        alone.get(i), futures.get(i).get(60, TimeUnit.SECONDS).get(0), "row " + i);
            }
            holder.get(60, TimeUnit.SECONDS);
            EngineStats after = engine.stats();
            assertEquals(9, after.promptsPrefilled() - before.promptsPrefilled(), "prompts prefilled");
            // The holder's prompt goes alone, or with those of the eight admitted before the engine looked.
            long passes = after.prefillPasses() - before.prefillPasses();
            assertTrue(passes <= 2, "prefill passes for the holder and the eight: " + passes);
            assertEquals(0, engine.stats().kvBytesInUse(), "every slot is free again");
        }
    }

    @Test
    void longPromptJoiningARunningBatch_leavesTheRunningRowsAnswersUnchanged() throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(8, 8, 8))) {
            List<Generation> alone = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                alone.add(single(
                        engine, EngineRequest.of(prompt(i), List.of(GenerationParams.greedy(40)), adapters.get(i))));
            }
            PromptTokens longPrompt =
                    model.tokenize("in: " + "the quick brown fox jumps over the lazy dog ".repeat(3) + "\nout: ");
            assertTrue(longPrompt.length() > 8 * 8, "the long prompt takes many chunks");
            AtomicInteger runningTokens = new AtomicInteger();
            AtomicInteger tokensAtJoin = new AtomicInteger(-1);
            AtomicInteger tokensAtLongFirst = new AtomicInteger(-1);
            List<CompletableFuture<List<Generation>>> longOne = new ArrayList<>();
            RowListener runningRows = (s, text, done) -> {
                if (runningTokens.incrementAndGet() == 9) {
                    // On the engine's thread, between steps: the long prompt arrives while three rows decode.
                    tokensAtJoin.set(runningTokens.get());
                    longOne.add(accepted(engine.submit(new EngineRequest(
                            longPrompt,
                            List.of(GenerationParams.greedy(4)),
                            adapters.get(4),
                            Optional.empty(),
                            () -> false,
                            () -> false,
                            (s2, t2, d2) -> tokensAtLongFirst.compareAndSet(-1, runningTokens.get())))));
                }
            };
            List<CompletableFuture<List<Generation>>> futures = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                futures.add(accepted(engine.submit(new EngineRequest(
                        prompt(i),
                        List.of(GenerationParams.greedy(40)),
                        adapters.get(i),
                        Optional.empty(),
                        () -> false,
                        () -> false,
                        runningRows))));
            }
            for (int i = 0; i < 3; i++) {
                assertSame(
                        alone.get(i), futures.get(i).get(60, TimeUnit.SECONDS).get(0), "running row " + i);
            }
            Generation longAnswer = longOne.get(0).get(60, TimeUnit.SECONDS).get(0);
            Generation longAlone =
                    single(engine, EngineRequest.of(longPrompt, List.of(GenerationParams.greedy(4)), adapters.get(4)));
            assertSame(longAlone, longAnswer, "the long prompt's own answer");
            int chunks = (longPrompt.length() + 7) / 8;
            assertTrue(
                    tokensAtLongFirst.get() - tokensAtJoin.get() >= 3 * (chunks - 2),
                    "the running rows kept decoding while the long prompt was prefilled in " + chunks + " chunks: "
                            + (tokensAtLongFirst.get() - tokensAtJoin.get()) + " tokens");
        }
    }

    @Test
    void abandonedRequest_endsAtTheNextStep_andFreesItsSlots() throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(4, 4, 64))) {
            Generation keptAlone =
                    single(engine, EngineRequest.of(prompt(1), List.of(GenerationParams.greedy(30)), adapters.get(1)));
            AtomicBoolean gone = new AtomicBoolean();
            AtomicInteger seen = new AtomicInteger();
            CompletableFuture<List<Generation>> dropped = accepted(engine.submit(new EngineRequest(
                    prompt(0),
                    List.of(GenerationParams.greedy(200), GenerationParams.greedy(200)),
                    Optional.empty(),
                    Optional.empty(),
                    gone::get,
                    () -> false,
                    (s, text, done) -> {
                        if (seen.incrementAndGet() == 6) {
                            gone.set(true);
                        }
                    })));
            CompletableFuture<List<Generation>> kept = accepted(
                    engine.submit(EngineRequest.of(prompt(1), List.of(GenerationParams.greedy(30)), adapters.get(1))));
            org.junit.jupiter.api.Assertions.assertThrows(
                    CancellationException.class, () -> dropped.get(60, TimeUnit.SECONDS));
            assertTrue(seen.get() <= 8, "the rows ended at the next step boundary, after " + seen.get() + " tokens");
            assertSame(keptAlone, kept.get(60, TimeUnit.SECONDS).get(0), "the other request");
            assertEquals(0, engine.stats().kvBytesInUse(), "both of its slots were freed");
        }
    }

    @Test
    void manyRequests_leaveNoNativeArrayBehind() throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(4, 16, 4))) {
            Runnable round = () -> {
                List<CompletableFuture<List<Generation>>> futures = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    futures.add(accepted(engine.submit(EngineRequest.of(
                            prompt(i),
                            List.of(GenerationParams.greedy(6), new GenerationParams(6, 1f, 1f, List.of(), i)),
                            adapters.get(i)))));
                }
                futures.forEach(CompletableFuture::join);
            };
            round.run();
            int before = model.nativeArrayCount();
            for (int r = 0; r < 3; r++) {
                round.run();
            }
            assertEquals(before, model.nativeArrayCount(), "native arrays under the model's manager after 3 rounds");
        }
    }

    @Test
    void requestThatCanNeverFit_isRefusedNamingTheLimit() {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(2, 4, 64))) {
            Submission rows = engine.submit(EngineRequest.of(
                    prompt(0),
                    List.of(GenerationParams.greedy(4), GenerationParams.greedy(4), GenerationParams.greedy(4)),
                    Optional.empty()));
            Submission.TooLarge r = assertInstanceOf(Submission.TooLarge.class, rows);
            assertEquals(Submission.Limit.ROWS, r.limit());
            assertEquals(3, r.needed());
            assertEquals(2, r.available());
            PromptTokens huge = new PromptTokens("x", new int[256]);
            Submission.TooLarge s = assertInstanceOf(
                    Submission.TooLarge.class,
                    engine.submit(EngineRequest.of(huge, List.of(GenerationParams.greedy(4)), Optional.empty())));
            assertEquals(Submission.Limit.SEQUENCE, s.limit());
        }
    }

    @Test
    void fullQueue_isRefused_andAWaitingRequestRunsOnceSlotsFree() throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(1, 1, 64))) {
            CountDownLatch hold = new CountDownLatch(1);
            CompletableFuture<List<Generation>> first = holding(engine, prompt(0), 3, hold);
            CompletableFuture<List<Generation>> second = accepted(
                    engine.submit(EngineRequest.of(prompt(1), List.of(GenerationParams.greedy(3)), Optional.empty())));
            Submission third =
                    engine.submit(EngineRequest.of(prompt(2), List.of(GenerationParams.greedy(3)), Optional.empty()));
            assertEquals(1, assertInstanceOf(Submission.QueueFull.class, third).waiting());
            assertEquals(1, engine.stats().waitingRequests());
            hold.countDown();
            assertEquals(3, first.get(60, TimeUnit.SECONDS).get(0).completionTokens());
            assertEquals(3, second.get(60, TimeUnit.SECONDS).get(0).completionTokens());
        }
    }
    /** A hand-off whose writer blocks on {@code release} from its first event on, counting what it wrote. */
    static StreamHandoff<String> blockedSink(
            int capacity, CountDownLatch entered, CountDownLatch release, AtomicInteger written) {
        return new StreamHandoff<>("test-sink", capacity, text -> {
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            written.incrementAndGet();
            return true;
        });
    }

    @Test
    void slowStreamingClient_doesNotDelayAnotherRowsCompletion() throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(4, 4, 64))) {
            Generation otherAlone =
                    single(engine, EngineRequest.of(prompt(1), List.of(GenerationParams.greedy(30)), adapters.get(1)));
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger written = new AtomicInteger();
            try (StreamHandoff<String> sink = blockedSink(1000, entered, release, written)) {
                try {
                    GenerationParams streamed = GenerationParams.greedy(40).withListener(sink.listener(t -> t.text()));
                    CompletableFuture<List<Generation>> slow =
                            accepted(engine.submit(EngineRequest.of(prompt(0), List.of(streamed), adapters.get(2))));
                    CompletableFuture<List<Generation>> other = accepted(engine.submit(
                            EngineRequest.of(prompt(1), List.of(GenerationParams.greedy(30)), adapters.get(1))));
                    // Bounded only so that a broken build fails instead of hanging: the slow client's writer is
                    // still stuck in its first write when the other row has finished.
                    Generation done = other.get(30, TimeUnit.SECONDS).get(0);
                    assertTrue(entered.await(30, TimeUnit.SECONDS), "the slow client's first write started");
                    assertEquals(0, written.get(), "the slow client has read nothing yet");
                    assertSame(otherAlone, done, "the other row");
                    release.countDown();
                    Generation slowDone = slow.get(60, TimeUnit.SECONDS).get(0);
                    sink.close();
                    assertEquals(slowDone.completionTokens(), written.get(), "every token reached the slow client");
                } finally {
                    release.countDown();
                }
            }
        }
    }

    @Test
    void streamingClientFarTooSlow_isCancelled_andItsSlotsFreed() throws Exception {
        try (DecodeEngine engine = DecodeEngine.start(model, settings(2, 4, 64))) {
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger written = new AtomicInteger();
            StreamHandoff<String> sink = blockedSink(2, entered, release, written);
            try {
                CompletableFuture<List<Generation>> slow = accepted(engine.submit(EngineRequest.of(
                        prompt(0),
                        List.of(
                                GenerationParams.greedy(100).withListener(sink.listener(t -> t.text())),
                                GenerationParams.greedy(100)),
                        Optional.empty())));
                java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
                        java.util.concurrent.ExecutionException.class, () -> slow.get(60, TimeUnit.SECONDS));
                TokenListener.GenerationCancelled why =
                        assertInstanceOf(TokenListener.GenerationCancelled.class, failed.getCause());
                assertTrue(why.getMessage().contains("reads too slowly"), why.getMessage());
                assertTrue(sink.overflowed());
                // Both of its slots are free again: a request that needs both runs to its end.
                Generation next = single(
                        engine,
                        EngineRequest.of(
                                prompt(1),
                                List.of(GenerationParams.greedy(5), GenerationParams.greedy(5)),
                                Optional.empty()));
                assertEquals(5, next.completionTokens());
                assertEquals(0, engine.stats().kvBytesInUse(), "every slot is free again");
            } finally {
                release.countDown();
                sink.close();
            }
            assertTrue(
                    written.get() <= 3, "at most one write and two queued events reached the client: " + written.get());
        }
    }

    @Test
    void preparedAdapter_secondRequestIsAHit_andAnswersAsTheFirstAndAsAnUncachedRun() throws Exception {
        try (DecodeEngine uncached = DecodeEngine.start(model, new EngineSettings(64L << 20, 4, 256, 4, 64, 0));
                DecodeEngine cached = DecodeEngine.start(model, settings(4, 4, 64))) {
            for (int i = 1; i <= 4; i++) {
                EngineRequest r = EngineRequest.of(prompt(i), List.of(GenerationParams.greedy(24)), adapters.get(i));
                Generation reference = single(uncached, r);
                var before = cached.stats().preparedAdapters();
                Generation first = single(cached, r);
                var afterFirst = cached.stats().preparedAdapters();
                Generation second = single(cached, r);
                var afterSecond = cached.stats().preparedAdapters();
                assertEquals(before.misses() + 1, afterFirst.misses(), "prepared on first use: " + afterFirst);
                assertEquals(afterFirst.misses(), afterSecond.misses(), "not prepared again: " + afterSecond);
                assertTrue(afterSecond.hits() > afterFirst.hits(), "the second request found it: " + afterSecond);
                // A hot adapter alone in its batch runs on its kept merged weights: the uncached engine's delta
                // products give the same answer up to rounding, and the second request the first's, bit for bit.
                assertSame(reference, first, "adapter " + i + ", uncached against cached");
                assertEquals(first.text(), second.text(), "adapter " + i + ": text");
                assertEquals(first.tokens(), second.tokens(), "adapter " + i + ": tokens");
                assertEquals(first.logprobs(), second.logprobs(), "adapter " + i + ": log-probabilities, bit for bit");
                assertEquals(afterFirst.bytes(), afterSecond.bytes(), "nothing prepared again: " + afterSecond);
            }
            assertEquals(0, uncached.stats().preparedAdapters().bytes(), "a zero bound keeps nothing");
            assertTrue(cached.stats().preparedAdapters().bytes() > 0);
        }
    }

    @Test
    void preparedAdaptersEvictedWhileTheirRowsRun_stayUsable_andTheAnswersAreUnchanged() throws Exception {
        List<Generation> alone = new ArrayList<>();
        try (DecodeEngine engine = DecodeEngine.start(model, settings(8, 8, 64))) {
            for (int i = 0; i < 8; i++) {
                alone.add(single(
                        engine, EngineRequest.of(prompt(i), List.of(GenerationParams.greedy(20)), adapters.get(i))));
            }
        }
        // A one-byte bound: every adapter is evicted as soon as it is prepared, while the batch using it runs on.
        try (DecodeEngine engine = DecodeEngine.start(model, new EngineSettings(64L << 20, 8, 256, 8, 64, 1))) {
            List<CompletableFuture<List<Generation>>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(accepted(engine.submit(
                        EngineRequest.of(prompt(i), List.of(GenerationParams.greedy(20)), adapters.get(i)))));
            }
            for (int i = 0; i < 8; i++) {
                assertSame(
                        alone.get(i), futures.get(i).get(60, TimeUnit.SECONDS).get(0), "row " + i);
            }
            var stats = engine.stats().preparedAdapters();
            assertTrue(stats.evictions() > 0, stats.toString());
            assertEquals(0, stats.bytes(), stats.toString());
        }
    }
}
