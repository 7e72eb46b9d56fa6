package ai.adaptserve.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptFeaturesTest {
    @TempDir
    static Path tmp;

    static LoadedModel model;

    @BeforeAll
    static void load() {
        model = LoadedModel.load(
                TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(false, false), 7, TensorDType.F32, 0));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void hiddenStatesAreWhatTheHeadReads() {
        int[][] rows = {model.encode("in: abc\nout: cba\nin: xy\nout: "), model.encode("hi")};
        try (NDManager step = model.decoder().weights().manager().newSubManager()) {
            NDArray h = model.decoder().hiddenAllPositions(step, rows, AdapterBatch.NONE);
            NDArray logits = model.decoder().logitsAllPositions(step, rows, AdapterBatch.NONE);
            assertEquals(64, h.getShape().get(2));
            assertEquals(rows[0].length, h.getShape().get(1));
            NDArray viaHead = h.matMul(model.decoder().weights().lmHeadT());
            double diff = viaHead.sub(logits).abs().max().getFloat();
            assertTrue(diff < 1e-4, "head(hidden) differs from the logits by " + diff);
        }
    }

    @Test
    void featuresAreTheMeanThenTheLastHiddenState() {
        String prompt = "Task: reverse\nQ: abc\nA: ";
        int[] ids = model.encode(prompt);
        float[] f = model.promptFeatures(List.of(prompt))[0];
        assertEquals(128, f.length);
        float[] h;
        try (NDManager step = model.decoder().weights().manager().newSubManager()) {
            h = model.decoder()
                    .hiddenAllPositions(step, new int[][] {ids}, AdapterBatch.NONE)
                    .toFloatArray();
        }
        float[] mean = new float[64];
        float[] last = new float[64];
        for (int d = 0; d < 64; d++) {
            for (int p = 0; p < ids.length; p++) {
                mean[d] += h[p * 64 + d] / ids.length;
            }
            last[d] = h[(ids.length - 1) * 64 + d];
        }
        assertTrue(maxAbsDiff(mean, java.util.Arrays.copyOfRange(f, 0, 64)) < 1e-5);
        assertTrue(maxAbsDiff(last, java.util.Arrays.copyOfRange(f, 64, 128)) < 1e-6);
        assertTrue(maxAbsDiff(mean, last) > 1e-2, "the two halves should differ");
    }

    @Test
    void paddingDoesNotLeakIntoFeatures() {
        String shortPrompt = "in: ab\nout: ";
        String longPrompt = "in: abcdef\nout: fedcba\nin: ghijkl\nout: lkjihg\nin: mnop\nout: ";
        float[] alone = model.promptFeatures(List.of(shortPrompt))[0];
        float[][] batched = model.promptFeatures(List.of(longPrompt, shortPrompt));
        assertTrue(maxAbsDiff(alone, batched[1]) < 1e-4, "padding changed the features");
        assertTrue(maxAbsDiff(batched[0], model.promptFeatures(List.of(longPrompt))[0]) < 1e-4);
        assertTrue(maxAbsDiff(alone, batched[0]) > 1e-2, "different prompts should have different features");

        // More prompts than one forward pass takes, of many lengths, come back in their order.
        List<String> many = new ArrayList<>();
        for (int i = 0; i < LoadedModel.FEATURE_BATCH + 5; i++) {
            many.add("x".repeat(1 + (i * 7) % 23) + "\nout: ");
        }
        float[][] all = model.promptFeatures(many);
        for (int i : new int[] {0, 3, LoadedModel.FEATURE_BATCH, many.size() - 1}) {
            assertTrue(maxAbsDiff(all[i], model.promptFeatures(List.of(many.get(i)))[0]) < 1e-4, "prompt " + i);
        }
    }

    @Test
    void tooLongPromptIsRefused() {
        String tooLong = "a".repeat(model.config().maxPositionEmbeddings() + 1);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> model.promptFeatures(List.of("ok", tooLong)));
        assertTrue(e.getMessage().contains("prompt 1"), e.getMessage());
    }
}
