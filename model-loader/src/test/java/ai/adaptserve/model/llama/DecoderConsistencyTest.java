package ai.adaptserve.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch, the KV cache and padding must not change what each row computes. */
class DecoderConsistencyTest {
    @TempDir
    static Path tmp;

    static LoadedModel model;

    @BeforeAll
    static void load() {
        model = LoadedModel.load(
                TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(false, true), 7, TensorDType.F32, 0));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static final int[][] PROMPTS = {{256, 72, 101, 108, 108, 111}, {256, 33}, {256, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};

    @Test
    void prefill_batchOfDifferentLengths_equalsEachRowAlone() {
        float[][][] batched;
        try (DecodeSession s = new DecodeSession(model.decoder(), PROMPTS.length)) {
            batched = s.prefillAllPositions(PROMPTS);
        }
        for (int r = 0; r < PROMPTS.length; r++) {
            float[][][] alone;
            try (DecodeSession s = new DecodeSession(model.decoder(), 1)) {
                alone = s.prefillAllPositions(new int[][] {PROMPTS[r]});
            }
            for (int p = 0; p < PROMPTS[r].length; p++) {
                double diff = maxAbsDiff(batched[r][p], alone[0][p]);
                assertTrue(diff < 1e-4, "row " + r + " position " + p + " differs by " + diff);
            }
        }
    }

    @Test
    void step_throughKvCache_equalsFullPrefill() {
        int[] full = PROMPTS[2];
        float[][][] reference;
        try (DecodeSession s = new DecodeSession(model.decoder(), 1)) {
            reference = s.prefillAllPositions(new int[][] {full});
        }
        try (DecodeSession s = new DecodeSession(model.decoder(), 1)) {
            float[][] logits = s.prefill(new int[][] {Arrays.copyOf(full, 3)});
            assertTrue(maxAbsDiff(logits[0], reference[0][2]) < 1e-4);
            for (int p = 3; p < full.length; p++) {
                logits = s.step(new int[] {full[p]});
                double diff = maxAbsDiff(logits[0], reference[0][p]);
                assertTrue(diff < 1e-4, "position " + p + " differs by " + diff);
            }
            assertEquals(full.length, s.length());
        }
    }

    /** Positions past the rotary tables made at start get their tables computed per step, to the same values. */
    @Test
    void positionsPastTheRotaryTables_giveTheSameLogits() {
        float[][][] tabled = prefillThenStep(model.decoder());
        // Tables for positions 0-3 only: the steps at positions 4 and later compute theirs per step.
        float[][][] computed = prefillThenStep(new LlamaDecoder(model.decoder().weights(), 4));
        for (int p = 0; p < tabled.length; p++) {
            assertEquals(0.0, maxAbsDiff(tabled[p][0], computed[p][0]), "pass " + p);
        }
    }

    /** The logits of a 3-token prefill of PROMPTS[2], then of a step per further token. */
    private static float[][][] prefillThenStep(LlamaDecoder decoder) {
        int[] full = PROMPTS[2];
        float[][][] out = new float[full.length - 2][][];
        try (DecodeSession s = new DecodeSession(decoder, 1)) {
            out[0] = s.prefill(new int[][] {Arrays.copyOf(full, 3)});
            for (int p = 3; p < full.length; p++) {
                out[p - 2] = s.step(new int[] {full[p]});
            }
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
