package ai.adaptserve.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-check against an engine nobody here wrote: Jlama ({@code com.github.tjake:jlama-core}) runs the same
 * random Llama checkpoint (grouped-query attention, untied head). Jlama's {@code getLogits} returns softmax
 * probabilities, so both sides are compared as log-probabilities, i.e. logits up to their per-row constant.
 */
class JlamaCrossCheckTest {
    static final double TOLERANCE = 1e-3;

    @TempDir
    static Path tmp;

    static LoadedModel ours;
    static AbstractModel jlama;

    @BeforeAll
    static void load() {
        Path dir = TestModels.write(tmp.resolve("llama"), TestModels.tinyLlama(false, false), 2024, TensorDType.F32, 0);
        ours = LoadedModel.load(dir);
        jlama = ModelSupport.loadModel(dir.toFile(), DType.F32, DType.F32);
    }

    @AfterAll
    static void close() throws Exception {
        ours.close();
        jlama.close();
    }

    static final int[][] PROMPTS = {
        {256, 84, 104, 101, 32, 113, 117, 105, 99, 107},
        {256, 98, 114, 111, 119, 110},
        {256, 102, 111, 120, 32, 106, 117, 109, 112, 115, 32, 111, 118, 101, 114, 32, 105, 116}
    };

    @Test
    void prefill_batchOfDifferentLengths_matchesJlama() {
        float[][][] batched;
        try (DecodeSession s = new DecodeSession(ours.decoder(), PROMPTS.length)) {
            batched = s.prefillAllPositions(PROMPTS);
        }
        double worst = 0;
        for (int r = 0; r < PROMPTS.length; r++) {
            double[][] reference = jlamaLogProbs(PROMPTS[r]);
            for (int p = 0; p < PROMPTS[r].length; p++) {
                worst = Math.max(worst, maxAbsDiff(logSoftmax(batched[r][p]), reference[p]));
            }
        }
        System.out.printf("Jlama cross-check, batched prefill: max |Δ log p| = %.3g%n", worst);
        assertTrue(worst < TOLERANCE, "max difference " + worst);
    }

    @Test
    void decode_stepByStepThroughKvCache_matchesJlama() {
        int[] prompt = PROMPTS[2];
        double[][] reference = jlamaLogProbs(prompt);
        double worst = 0;
        try (DecodeSession s = new DecodeSession(ours.decoder(), 1)) {
            float[][] logits = s.prefill(new int[][] {Arrays.copyOf(prompt, 2)});
            worst = Math.max(worst, maxAbsDiff(logSoftmax(logits[0]), reference[1]));
            for (int p = 2; p < prompt.length; p++) {
                logits = s.step(new int[] {prompt[p]});
                worst = Math.max(worst, maxAbsDiff(logSoftmax(logits[0]), reference[p]));
            }
        }
        System.out.printf("Jlama cross-check, KV-cache decode: max |Δ log p| = %.3g%n", worst);
        assertTrue(worst < TOLERANCE, "max difference " + worst);
    }

    @Test
    void qwen2WithBiasAndTiedHead_matchesJlama() throws Exception {
        assertOtherArchitectureMatches("qwen2", TestModels.tinyQwen2());
    }

    @Test
    void llama3MultiQueryAttention_matchesJlama() throws Exception {
        assertOtherArchitectureMatches("llama3", TestModels.tinyLlama3());
    }

    private static void assertOtherArchitectureMatches(String name, ai.adaptserve.model.config.ModelConfig cfg)
            throws Exception {
        Path dir = TestModels.write(tmp.resolve(name), cfg, 99, TensorDType.F32, 0);
        int[] prompt = {72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10, 11, 12, 13, 14, 15, 16};
        try (LoadedModel m = LoadedModel.load(dir);
                AbstractModel j = ModelSupport.loadModel(dir.toFile(), DType.F32, DType.F32);
                DecodeSession s = new DecodeSession(m.decoder(), 1)) {
            double[][] reference = jlamaLogProbs(j, prompt);
            float[][][] logits = s.prefillAllPositions(new int[][] {prompt});
            double worst = 0;
            for (int p = 0; p < prompt.length; p++) {
                worst = Math.max(worst, maxAbsDiff(logSoftmax(logits[0][p]), reference[p]));
            }
            System.out.printf("Jlama cross-check, %s: max |Δ log p| = %.3g%n", name, worst);
            assertTrue(worst < TOLERANCE, name + ": max difference " + worst);
        }
    }

    static double[][] jlamaLogProbs(int[] tokens) {
        return jlamaLogProbs(jlama, tokens);
    }

    /** Jlama's next-token log-probabilities after each prompt position, one token at a time. */
    static double[][] jlamaLogProbs(AbstractModel jlama, int[] tokens) {
        double[][] out = new double[tokens.length][];
        try (KvBufferCache cache = new KvBufferCache(jlama)) {
            KvBufferCache.KvBuffer kv = cache.getKvBuffer(UUID.randomUUID());
            for (int p = 0; p < tokens.length; p++) {
                AbstractTensor hidden = jlama.forward(tokens[p], p, kv, Optional.empty());
                float[] probs = jlama.getLogits(hidden);
                out[p] = new double[probs.length];
                for (int v = 0; v < probs.length; v++) {
                    out[p][v] = Math.log(probs[v]);
                }
                hidden.close();
            }
        }
        return out;
    }

    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double log = Math.log(sum) + max;
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }

    static double maxAbsDiff(double[] a, double[] b) {
        assertEquals(a.length, b.length, "vocabulary sizes");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
