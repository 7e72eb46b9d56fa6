package ai.adaptserve.function.openai;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Log-probabilities of a chosen token and of the most likely alternatives, from the logits it was chosen from, under
 * the model's own distribution (softmax of the raw logits, before temperature and top-p), as OpenAI reports them.
 */
final class TokenLogprobs {
    private TokenLogprobs() {}

    /**
     * @param token the token's text
     * @param logprob its natural-log probability
     * @param bytes its UTF-8 bytes
     * @param topLogprobs the most likely tokens at this position, most likely first
     */
    record Entry(
            String token,
            double logprob,
            List<Integer> bytes,

            @com.fasterxml.jackson.annotation.JsonProperty("top_logprobs")
            List<Alternative> topLogprobs) {}

    record Alternative(String token, double logprob, List<Integer> bytes) {}

    /**
     * @param chosen the generated token's id
     * @param logits the raw next-token logits it was chosen from
     * @param top how many alternatives to list (0 for none)
     * @param text a token id's text
     */
    static Entry of(int chosen, float[] logits, int top, IntFunction<String> text) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double logZ = max + Math.log(sum);
        List<Alternative> alternatives = new ArrayList<>(top);
        for (int id : topIds(logits, top)) {
            String t = text.apply(id);
            alternatives.add(new Alternative(t, logits[id] - logZ, bytes(t)));
        }
        String t = text.apply(chosen);
        return new Entry(t, logits[chosen] - logZ, bytes(t), alternatives);
    }

    /** The ids of the {@code k} largest logits, largest first (ties: lower id first). */
    static int[] topIds(float[] logits, int k) {
        k = Math.min(k, logits.length);
        int[] best = new int[k];
        int filled = 0;
        for (int i = 0; i < logits.length; i++) {
            if (filled < k) {
                best[filled++] = i;
            } else if (logits[i] > logits[best[k - 1]]) {
                best[k - 1] = i;
            } else {
                continue;
            }
            // Insertion step keeps best[] sorted by logit, descending, lower id first on ties.
            for (int j = filled - 1; j > 0 && logits[best[j]] > logits[best[j - 1]]; j--) {
                int tmp = best[j];
                best[j] = best[j - 1];
                best[j - 1] = tmp;
            }
        }
        return best;
    }

    private static List<Integer> bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        List<Integer> out = new ArrayList<>(b.length);
        for (byte x : b) {
            out.add(x & 0xff);
        }
        return out;
    }
}
