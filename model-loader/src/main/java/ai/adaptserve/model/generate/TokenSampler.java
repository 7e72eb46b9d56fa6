package ai.adaptserve.model.generate;

import java.util.Arrays;
import java.util.Random;

/** Picks the next token from one row's logits: greedy, or temperature and nucleus (top-p) sampling. */
public final class TokenSampler {
    private final GenerationParams params;
    private final Random random;

    public TokenSampler(GenerationParams params) {
        this.params = params;
        this.random = new Random(params.seed());
    }

    /** The chosen token and its log-probability under the temperature-scaled distribution. */
    public record Choice(int token, float logprob) {}

    public Choice next(float[] logits) {
        // In double: a tiny temperature (down to Float.MIN_VALUE) overflows l / t in float to +-Infinity, and
        // Infinity - Infinity would make every probability NaN.
        double temperature = params.temperature() == 0f ? 1.0 : params.temperature();
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / temperature);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] / temperature - max);
            sum += p[i];
        }
        double logSum = Math.log(sum) + max;
        int token = params.temperature() == 0f ? argMax(logits) : sample(p, sum);
        // Never -Infinity: the chosen token has a non-zero probability, or (greedy) is the largest logit.
        return new Choice(token, (float) (logits[token] / temperature - logSum));
    }

    private static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private int sample(double[] unnormalized, double sum) {
        int n = unnormalized.length;
        if (params.topP() >= 1f) {
            double u = random.nextDouble() * sum;
            double run = 0;
            for (int i = 0; i < n; i++) {
                run += unnormalized[i];
                if (u < run) {
                    return i;
                }
            }
            return n - 1;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(unnormalized[b], unnormalized[a]));
        // Keep the smallest prefix whose mass reaches top_p, then sample within it.
        double keep = params.topP() * sum;
        double acc = 0;
        int cut = 0;
        while (cut < n) {
            acc += unnormalized[order[cut]];
            cut++;
            if (acc >= keep) {
                break;
            }
        }
        double u = random.nextDouble() * acc;
        double run = 0;
        for (int i = 0; i < cut; i++) {
            run += unnormalized[order[i]];
            if (u < run) {
                return order[i];
            }
        }
        return order[cut - 1];
    }
}
