package ai.adaptserve.model.generate;

import java.util.List;

/**
 * What the model produced for one prompt.
 *
 * @param text the decoded completion, without the stop string
 * @param tokens ids of every generated token, including an end-of-sequence token or those of a stop string
 * @param logprobs natural-log probability of each generated token under the model (after temperature)
 * @param promptTokens number of prompt tokens
 * @param finishReason why generation ended
 */
public record Generation(
        String text, List<Integer> tokens, List<Float> logprobs, int promptTokens, FinishReason finishReason) {
    public Generation {
        tokens = List.copyOf(tokens);
        logprobs = List.copyOf(logprobs);
    }

    public int completionTokens() {
        return tokens.size();
    }

    /** Sum of the generated tokens' log-probabilities, a score for choosing among candidates. */
    public double totalLogprob() {
        double sum = 0;
        for (float lp : logprobs) {
            sum += lp;
        }
        return sum;
    }

    public enum FinishReason {
        /** max_tokens reached. */
        LENGTH,
        /** a stop string appeared. */
        STOP,
        /** the model produced its end-of-sequence token. */
        EOS,
        /** the context window is full. */
        CONTEXT
    }
}
