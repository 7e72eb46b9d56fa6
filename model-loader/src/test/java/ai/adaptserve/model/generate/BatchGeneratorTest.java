package ai.adaptserve.model.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchGeneratorTest {
    @TempDir
    static Path tmp;

    static LoadedModel model;

    @BeforeAll
    static void load() {
        model = LoadedModel.load(
                TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(true, false), 11, TensorDType.F32, 0));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void generate_greedy_isDeterministicAndStopsAtMaxTokens() {
        Generation a = model.generate("Hello", GenerationParams.greedy(12));
        Generation b = model.generate("Hello", GenerationParams.greedy(12));
        assertEquals(a.tokens(), b.tokens());
        assertTrue(a.completionTokens() <= 12 && a.completionTokens() > 0);
        if (a.finishReason() == Generation.FinishReason.LENGTH) {
            assertEquals(12, a.completionTokens());
        }
        assertEquals(a.completionTokens(), a.logprobs().size());
        for (float lp : a.logprobs()) {
            assertTrue(lp <= 0 && Float.isFinite(lp), "logprob " + lp);
        }
        assertEquals(model.encode("Hello").length, a.promptTokens());
    }

    @Test
    void generate_batchOfPrompts_equalsEachPromptAlone() {
        List<String> prompts = List.of("abc", "a much longer prompt than the first", "x");
        List<GenerationParams> params = List.of(
                GenerationParams.greedy(8),
                GenerationParams.greedy(5),
                new GenerationParams(8, 0.9f, 0.95f, List.of(), 42));
        List<Generation> batch = model.generate(prompts, params);
        for (int i = 0; i < prompts.size(); i++) {
            Generation alone = model.generate(prompts.get(i), params.get(i));
            assertEquals(alone.tokens(), batch.get(i).tokens(), "row " + i);
        }
    }

    @Test
    void generate_sampledWithSameSeed_isRepeatable_andSeedsDiffer() {
        GenerationParams p1 = new GenerationParams(16, 1.0f, 1f, List.of(), 1);
        GenerationParams p2 = new GenerationParams(16, 1.0f, 1f, List.of(), 2);
        Generation a = model.generate("seed", p1);
        assertEquals(a.tokens(), model.generate("seed", p1).tokens());
        assertNotEquals(a.tokens(), model.generate("seed", p2).tokens());
    }

    @Test
    void generate_stopString_cutsTextBeforeIt() {
        Generation free = model.generate("stop test", GenerationParams.greedy(20));
        String text = free.text();
        // The seeded random model (seed 11) writes 20 tokens here; were it to stop early, pick another prompt.
        assertTrue(text.length() >= 4, "too short to cut: '" + text + "'");
        String stop = text.substring(2, 4);
        Generation cut = model.generate("stop test", new GenerationParams(20, 0f, 1f, List.of(stop), 0));
        assertEquals(Generation.FinishReason.STOP, cut.finishReason());
        assertEquals(text.substring(0, text.indexOf(stop)), cut.text());
        assertFalse(cut.text().contains(stop));
    }

    @Test
    void generate_promptLongerThanContext_isRejected() {
        String longPrompt = "y".repeat(model.contextLength() + 5);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> model.generate(longPrompt, GenerationParams.greedy(1)));
        assertTrue(e.getMessage().contains("context"), e.getMessage());
    }

    @Test
    void generate_thousandsOfTokens_nativeArraysDoNotGrow() {
        int before = model.nativeArrayCount();
        int generated = 0;
        for (int i = 0; i < 16; i++) {
            List<Generation> out = model.generate(
                    List.of("leak " + i, "check"),
                    List.of(
                            new GenerationParams(100, 1f, 1f, List.of(), i),
                            new GenerationParams(100, 1f, 1f, List.of(), i + 100)));
            for (Generation g : out) {
                generated += g.completionTokens();
            }
            assertEquals(before, model.nativeArrayCount(), "after call " + i);
        }
        System.out.printf(
                "generated %d tokens; native arrays held by the model: %d before, %d after%n",
                generated, before, model.nativeArrayCount());
        assertTrue(generated >= 1000, "generated only " + generated);
        assertEquals(before, model.nativeArrayCount());
    }
}
