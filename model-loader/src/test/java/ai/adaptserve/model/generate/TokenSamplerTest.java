package ai.adaptserve.model.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Extreme but valid sampling parameters: tiny temperatures and tiny top_p act as greedy, with finite log-probs. */
class TokenSamplerTest {

    private static float[] logits(long seed) {
        Random r = new Random(seed);
        float[] l = new float[257];
        for (int i = 0; i < l.length; i++) {
            l[i] = (float) (r.nextGaussian() * 8);
        }
        return l;
    }

    /** The largest logit, first on ties: written here from the definition, independent of the sampler. */
    private static int naiveArgMax(float[] l) {
        int best = 0;
        for (int i = 0; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }

    @ParameterizedTest(name = "temperature {0}")
    @ValueSource(floats = {1e-6f, 1e-20f, 1e-38f, Float.MIN_VALUE})
    void tinyTemperature_choosesArgMaxWithFiniteLogprob(float temperature) {
        for (long seed = 0; seed < 50; seed++) {
            // Given random logits, and a temperature so small that l / t overflows a float
            float[] l = logits(seed);
            TokenSampler sampler = new TokenSampler(new GenerationParams(8, temperature, 1f, List.of(), seed));

            // When a token is sampled
            TokenSampler.Choice c = sampler.next(l);

            // Then it is the greedy token, with a log-probability that is a number (0: all the mass is on it)
            assertEquals(naiveArgMax(l), c.token(), "seed " + seed);
            assertTrue(Float.isFinite(c.logprob()), "logprob " + c.logprob());
            assertEquals(0f, c.logprob(), 1e-6f);
        }
    }

    @Test
    void tinyTopP_choosesArgMax() {
        for (long seed = 0; seed < 50; seed++) {
            float[] l = logits(seed);
            // Given a normal temperature and a nucleus that keeps only the most likely token
            TokenSampler sampler = new TokenSampler(new GenerationParams(8, 0.7f, 1e-9f, List.of(), seed));

            TokenSampler.Choice c = sampler.next(l);

            // Then the token is the greedy one; its log-prob is the naive log-softmax at t = 0.7
            assertEquals(naiveArgMax(l), c.token(), "seed " + seed);
            double max = Double.NEGATIVE_INFINITY;
            for (float x : l) {
                max = Math.max(max, x / 0.7);
            }
            double sum = 0;
            for (float x : l) {
                sum += Math.exp(x / 0.7 - max);
            }
            double expected = l[c.token()] / 0.7 - max - Math.log(sum);
            assertEquals(expected, c.logprob(), 1e-4);
        }
    }

    @Test
    void greedy_logprobFinite_evenForExtremeLogits() {
        // Given logits as large as a float holds, of both signs
        float[] l = {-Float.MAX_VALUE, 3f, Float.MAX_VALUE / 2, -7f};
        TokenSampler sampler = new TokenSampler(new GenerationParams(8, Float.MIN_VALUE, 1f, List.of(), 1));

        TokenSampler.Choice c = sampler.next(l);

        assertEquals(2, c.token());
        assertTrue(Float.isFinite(c.logprob()), "logprob " + c.logprob());
    }
}
