package ai.adaptserve.function.generation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The answer to {@code POST /v1/generate}.
 *
 * @param text the chosen completion
 * @param task what the request was taken to be, and who decided: the router, or the request itself
 * @param adapter the adapter the answer was generated with
 * @param candidates every sample, with how many samples agreed with it and its total log-probability
 * @param usage tokens read and generated
 * @param timingsMs where the time went, in milliseconds
 */
public record GenerateResponse(
        String text,
        Task task,
        Adapter adapter,
        List<Candidate> candidates,
        Usage usage,
        @JsonProperty("timings_ms") Timings timingsMs) {

    /**
     * @param label the task family, or {@code none}
     * @param confidence of the classification, 0 to 1; 1 where the request decided
     * @param source {@code classifier} (the router ran), {@code request} (the request's {@code task}, examples,
     *     document or {@code adapter} decided, and the router did not run; {@code label} is the request's
     *     {@code task} or {@code none}) or {@code none} (a model without a router)
     */
    public record Task(String label, double confidence, String source) {
        public Task {
            // JSON has no NaN: a non-number here is a bug upstream, answered as 500 rather than as invalid JSON.
            if (!(confidence >= 0 && confidence <= 1)) {
                throw new IllegalArgumentException("task confidence must be in [0, 1], was " + confidence);
            }
        }

        public static final Task NONE = new Task("none", 0, "none");
    }

    /**
     * @param id content hash of the adapter, or null for none
     * @param kind {@code svf}, {@code lora} or {@code none}
     * @param tier where it came from: {@code memory}, {@code redis}, {@code s3}, {@code local} (the local-directory
     *     tier that stands in for S3 without one), {@code trained} (for this request) or {@code none}
     * @param trainMs time spent training it for this request (0 unless {@code tier} is {@code trained})
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Adapter(
            String id,
            String kind,
            String tier,
            @JsonProperty("train_ms") long trainMs) {
        public static final Adapter NONE = new Adapter(null, "none", "none", 0);
    }

    /**
     * @param text the sample's completion (with {@code vote} {@code augmented}: its answer mapped back)
     * @param votes how many candidates produced this same text
     * @param score the sample's total log-probability
     * @param verifierScore with {@code vote} {@code verifier}: the verifier's score of its answer (higher wins)
     * @param augmentation with {@code vote} {@code augmented}: the transform it was asked under ({@code id},
     *     {@code rev}, {@code relabel-1}, …)
     */
    public record Candidate(
            String text,
            int votes,
            double score,

            @JsonProperty("verifier_score") @JsonInclude(JsonInclude.Include.NON_NULL)
            Double verifierScore,

            @JsonInclude(JsonInclude.Include.NON_NULL) String augmentation) {

        public Candidate {
            if (!Double.isFinite(score)) {
                throw new IllegalArgumentException("candidate score must be finite, was " + score);
            }
        }

        /** A sample chosen among by its text or log-probability only. */
        public Candidate(String text, int votes, double score) {
            this(text, votes, score, null, null);
        }
    }

    /**
     * @param promptTokens tokens in the prompt
     * @param completionTokens tokens generated, over all samples
     */
    public record Usage(
            @JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("completion_tokens") int completionTokens) {}

    /**
     * @param route classifying the request (the router's pass over the prompt, which the base model's answer then
     *     decodes on from); 0 where the request decided
     * @param adapter finding or training the adapter
     * @param generate running the model
     * @param total the whole request
     */
    public record Timings(long route, long adapter, long generate, long total) {}
}
