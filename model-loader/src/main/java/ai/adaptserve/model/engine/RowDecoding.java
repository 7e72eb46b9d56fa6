package ai.adaptserve.model.engine;

import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.generate.TokenListener;
import ai.adaptserve.model.generate.TokenSampler;
import ai.adaptserve.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One row's decoding state: its own sampler (seeded, so a row gives the same text alone or batched), its tokens and
 * log-probabilities, and why it ended (EOS, a stop string, {@code max_tokens}, a full slot).
 */
final class RowDecoding {
    private final GenerationParams params;
    private final TokenSampler sampler;
    private final TextTokenizer tokenizer;
    private final Set<Integer> eosIds;
    private final int promptTokens;
    private final int capacity;
    private final List<Integer> tokens = new ArrayList<>();
    private final List<Float> logprobs = new ArrayList<>();
    private Generation.FinishReason finish;
    private String text = "";
    private RuntimeException cancellation;

    /**
     * @param capacity positions the row may fill, prompt included (its slot's length, at most the model's context)
     */
    RowDecoding(GenerationParams params, TextTokenizer tokenizer, Set<Integer> eosIds, int promptTokens, int capacity) {
        this.params = params;
        this.sampler = new TokenSampler(params);
        this.tokenizer = tokenizer;
        this.eosIds = eosIds;
        this.promptTokens = promptTokens;
        this.capacity = capacity;
    }

    /**
     * Samples the next token from {@code logits}, decides whether the row has ended and tells the row's {@link
     * TokenListener} (as the batch generator does); a listener that throws cancels the row ({@link #cancellation}).
     */
    void accept(float[] logits) {
        TokenSampler.Choice c = sampler.next(logits);
        tokens.add(c.token());
        logprobs.add(c.logprob());
        text = decodeAll();
        finish = finishAfter(c.token());
        try {
            params.listener().onToken(new TokenListener.Token(c.token(), c.logprob(), text, finish, logits));
        } catch (RuntimeException e) {
            cancellation = e;
        }
    }

    private Generation.FinishReason finishAfter(int token) {
        if (eosIds.contains(token)) {
            return Generation.FinishReason.EOS;
        }
        for (String stop : params.stop()) {
            int at = stop.isEmpty() ? -1 : text.indexOf(stop);
            if (at >= 0) {
                text = text.substring(0, at);
                return Generation.FinishReason.STOP;
            }
        }
        if (tokens.size() >= params.maxTokens()) {
            return Generation.FinishReason.LENGTH;
        }
        if (promptTokens + tokens.size() >= capacity) {
            return Generation.FinishReason.CONTEXT;
        }
        return null;
    }

    /** What the row's token listener threw when it refused a token (its client is gone), if it did. */
    RuntimeException cancellation() {
        return cancellation;
    }

    boolean finished() {
        return finish != null;
    }

    /** The token the next step feeds. */
    int lastToken() {
        return tokens.get(tokens.size() - 1);
    }

    /** Positions of this row in its slot once the last sampled token has been fed. */
    int cachedPositions() {
        return promptTokens + tokens.size() - 1;
    }

    String text() {
        return text;
    }

    Generation result() {
        return new Generation(text, tokens, logprobs, promptTokens, finish);
    }

    private String decodeAll() {
        int[] a = new int[tokens.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = tokens.get(i);
        }
        return tokenizer.decode(a);
    }
}
