package ai.adaptserve.function.openai;

import ai.adaptserve.function.generation.GenerateResponse;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The OpenAI wire shapes this server answers with: chat and text completions, their stream chunks, usage and
 * log-probabilities. Each object also carries {@code adaptserve} (what the request was taken to be, the adapter, the
 * timings), which OpenAI clients keep as an extra property.
 */
final class Completions {
    private Completions() {}

    /**
     * @param task what the request was taken to be
     * @param adapter the adapter the answer was generated with
     * @param timingsMs where the time went
     */
    record AdaptServe(
            GenerateResponse.Task task,
            GenerateResponse.Adapter adapter,
            @JsonProperty("timings_ms") GenerateResponse.Timings timingsMs) {

        static AdaptServe of(GenerateResponse r) {
            return new AdaptServe(r.task(), r.adapter(), r.timingsMs());
        }
    }

    /** Tokens read and generated (over all choices). */
    record Usage(
            @JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("completion_tokens") int completionTokens,
            @JsonProperty("total_tokens") int totalTokens) {

        static Usage of(GenerateResponse r) {
            return new Usage(
                    r.usage().promptTokens(),
                    r.usage().completionTokens(),
                    r.usage().promptTokens() + r.usage().completionTokens());
        }
    }

    record ChatCompletion(
            String id,
            String object,
            long created,
            String model,
            @JsonProperty("system_fingerprint") String systemFingerprint,
            List<ChatChoice> choices,
            Usage usage,
            AdaptServe adaptserve) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChatChoice(
            int index,
            Message message,
            ChatLogprobs logprobs,
            @JsonProperty("finish_reason") String finishReason) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Message(String role, String content, String refusal) {
        static Message assistant(String content) {
            return new Message("assistant", content, null);
        }
    }

    /** Chat's log-probabilities: one entry per generated token. */
    record ChatLogprobs(List<TokenLogprobs.Entry> content) {}

    record TextCompletion(
            String id,
            String object,
            long created,
            String model,
            @JsonProperty("system_fingerprint") String systemFingerprint,
            List<TextChoice> choices,
            Usage usage,
            AdaptServe adaptserve) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record TextChoice(
            int index,
            String text,
            TextLogprobs logprobs,
            @JsonProperty("finish_reason") String finishReason) {}

    /** The completions route's (legacy) log-probabilities, as parallel lists. */
    record TextLogprobs(
            List<String> tokens,
            @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
            @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs,
            @JsonProperty("text_offset") List<Integer> textOffset) {

        static TextLogprobs of(List<TokenLogprobs.Entry> entries, int startOffset) {
            List<String> tokens =
                    entries.stream().map(TokenLogprobs.Entry::token).toList();
            List<Double> lps =
                    entries.stream().map(TokenLogprobs.Entry::logprob).toList();
            List<Map<String, Double>> tops = entries.stream()
                    .map(e -> {
                        Map<String, Double> m = new java.util.LinkedHashMap<>();
                        e.topLogprobs().forEach(t -> m.putIfAbsent(t.token(), t.logprob()));
                        return m;
                    })
                    .toList();
            List<Integer> offsets = new java.util.ArrayList<>(entries.size());
            int at = startOffset;
            for (TokenLogprobs.Entry e : entries) {
                offsets.add(at);
                at += e.token().length();
            }
            return new TextLogprobs(tokens, lps, tops, offsets);
        }
    }

    /** A chat stream chunk; {@code usage} is set only on the last one, with {@code include_usage}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChatChunk(
            String id,
            String object,
            long created,
            String model,
            @JsonProperty("system_fingerprint") String systemFingerprint,
            List<ChunkChoice> choices,
            Usage usage) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChunkChoice(
            int index,
            Delta delta,
            ChatLogprobs logprobs,
            @JsonProperty("finish_reason") String finishReason) {}

    /** What a chunk adds to a message: the role (first chunk), then content. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {}

    /** A text-completion stream chunk. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record TextChunk(
            String id,
            String object,
            long created,
            String model,
            @JsonProperty("system_fingerprint") String systemFingerprint,
            List<TextChoice> choices,
            Usage usage) {}
}
