package ai.adaptserve.function.openai;

import ai.adaptserve.function.generation.GenerationObserver;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * What an OpenAI choice needs beyond the generate response's candidate text: why each sample ended, and its tokens'
 * log-probabilities when asked for.
 */
final class ChoiceRecorder implements GenerationObserver {

    private final int top;
    private final boolean logprobs;
    private final IntFunction<String> tokenText;
    private final ConcurrentHashMap<Integer, Sample> samples = new ConcurrentHashMap<>();

    /**
     * @param logprobs whether to record log-probabilities
     * @param top how many alternatives per token
     * @param tokenText a token id's text
     */
    ChoiceRecorder(boolean logprobs, int top, IntFunction<String> tokenText) {
        this.logprobs = logprobs;
        this.top = top;
        this.tokenText = tokenText;
    }

    /** One sample as recorded. */
    static final class Sample {
        volatile Generation.FinishReason finish;
        final List<TokenLogprobs.Entry> entries = new ArrayList<>();
    }

    @Override
    public TokenListener sample(int index, List<String> stop) {
        Sample s = samples.computeIfAbsent(index, i -> new Sample());
        return t -> {
            if (logprobs) {
                s.entries.add(TokenLogprobs.of(t.id(), t.logits(), top, tokenText));
            }
            if (t.finish() != null) {
                s.finish = t.finish();
            }
        };
    }

    /** OpenAI's {@code finish_reason} of sample {@code index}: {@code stop} or {@code length}. */
    String finishReason(int index) {
        Sample s = samples.get(index);
        return s == null ? "stop" : finishReason(s.finish);
    }

    /** The log-probability entries of sample {@code index}; null when not asked for. */
    List<TokenLogprobs.Entry> entries(int index) {
        Sample s = samples.get(index);
        return !logprobs || s == null ? null : List.copyOf(s.entries);
    }

    /** {@code stop} for an end-of-sequence token or a stop string, {@code length} for a token or context limit. */
    static String finishReason(Generation.FinishReason reason) {
        if (reason == null) {
            return null;
        }
        return switch (reason) {
            case STOP, EOS -> "stop";
            case LENGTH, CONTEXT -> "length";
        };
    }
}
