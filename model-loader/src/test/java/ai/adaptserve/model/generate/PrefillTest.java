package ai.adaptserve.model.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One pass over a prompt serves the router's features and the base model's answer. */
class PrefillTest {
    @TempDir
    static Path tmp;

    static LoadedModel model;
    static LoadedModel other;

    @BeforeAll
    static void load() {
        model = LoadedModel.load(
                TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(true, false), 11, TensorDType.F32, 0));
        other = LoadedModel.load(
                TestModels.write(tmp.resolve("o"), TestModels.tinyLlama(true, false), 12, TensorDType.F32, 0));
    }

    @AfterAll
    static void close() {
        model.close();
        other.close();
    }

    private static final String PROMPT = "in: abc\nout: cba\nin: hello\nout: ";

    /** Greedy, then two sampled rows with their own seeds: the samples of one request. */
    private static List<GenerationParams> samples() {
        return List.of(
                GenerationParams.greedy(12),
                new GenerationParams(12, 0.9f, 0.95f, List.of(), 7),
                new GenerationParams(12, 1.0f, 1f, List.of(), 8));
    }

    @Test
    void features_fromThePrefill_equalThoseOfTheText() {
        try (Prefill p = model.prefill(model.tokenize(PROMPT))) {
            float[] reused = model.promptFeatures(p);
            float[] fresh = model.promptFeatures(List.of(PROMPT))[0];
            assertArrayEquals(fresh, reused, 1e-5f);
        }
    }

    @Test
    void generateFromPrefill_sameAnswersAndLogprobsAsAFreshPrefill() {
        PromptTokens prompt = model.tokenize(PROMPT);
        List<GenerationParams> params = samples();
        List<Generation> fresh = model.generateFromTokens(Collections.nCopies(params.size(), prompt), params);
        List<Generation> reused;
        try (Prefill p = model.prefill(prompt)) {
            reused = model.generate(p, params);
            assertTrue(p.used());
        }
        assertEquals(fresh.size(), reused.size());
        for (int i = 0; i < fresh.size(); i++) {
            Generation a = fresh.get(i);
            Generation b = reused.get(i);
            assertEquals(a.tokens(), b.tokens(), "row " + i);
            assertEquals(a.text(), b.text(), "row " + i);
            assertEquals(a.promptTokens(), b.promptTokens());
            assertEquals(a.finishReason(), b.finishReason());
            for (int t = 0; t < a.logprobs().size(); t++) {
                assertEquals(a.logprobs().get(t), b.logprobs().get(t), 1e-5, "row " + i + " token " + t);
            }
        }
    }

    @Test
    void routeThenAnswer_runsThePromptThroughTheLayersOnce() {
        PromptTokens prompt = model.tokenize(PROMPT);
        List<GenerationParams> params = samples();
        int n = params.size();

        long before = model.decoder().positionsRun();
        List<Generation> out;
        try (Prefill p = model.prefill(prompt)) {
            model.promptFeatures(p);
            out = model.generate(p, params);
        }
        long reused = model.decoder().positionsRun() - before;
        int steps = out.stream().mapToInt(Generation::completionTokens).max().orElseThrow() - 1;
        // the prompt once, then one position per row per decode step
        assertEquals(prompt.length() + (long) n * steps, reused);

        before = model.decoder().positionsRun();
        model.promptFeatures(List.of(PROMPT));
        model.generateFromTokens(Collections.nCopies(n, prompt), params);
        long twice = model.decoder().positionsRun() - before;
        // without reuse: the router's pass, then the prompt again for every row
        assertEquals(prompt.length() + (long) n * prompt.length() + (long) n * steps, twice);
    }

    @Test
    void aPrefillIsGeneratedFromOnce_andOnlyByItsModel() {
        try (Prefill p = model.prefill(model.tokenize(PROMPT))) {
            assertThrows(IllegalArgumentException.class, () -> other.generate(p, samples()));
            assertThrows(IllegalArgumentException.class, () -> other.promptFeatures(p));
            assertFalse(p.used());
            model.generate(p, List.of(GenerationParams.greedy(2)));
            assertThrows(IllegalStateException.class, () -> model.generate(p, List.of(GenerationParams.greedy(2))));
        }
    }

    @Test
    void aPromptWithoutRoomToAnswerIsRefused() {
        PromptTokens tooLong = model.tokenize("y".repeat(model.contextLength() + 5));
        assertThrows(IllegalArgumentException.class, () -> model.prefill(tooLong));
    }

    @Test
    void prefills_closedWhetherUsedOrNot_leaveNoNativeArrays() {
        int before = model.nativeArrayCount();
        for (int i = 0; i < 8; i++) {
            try (Prefill p = model.prefill(model.tokenize("leak " + i))) {
                model.promptFeatures(p);
                if (i % 2 == 0) {
                    model.generate(p, samples());
                }
            }
            assertEquals(before, model.nativeArrayCount(), "after prefill " + i);
        }
    }
}
