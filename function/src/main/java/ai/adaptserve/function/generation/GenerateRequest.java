package ai.adaptserve.function.generation;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A validated {@code POST /v1/generate} request. Made by {@link GenerateRequestParser}, which names the offending
 * field of anything invalid; optional decoding settings are {@code null} when the client left them out.
 *
 * @param prompt the query (for few-shot tasks: the test input)
 * @param examples few-shot demonstrations: with {@code adapter} {@code auto} and 2 or more, a LoRA is trained on them
 *     (test-time training); always rendered in context before the prompt
 * @param document long context to learn from: with {@code adapter} {@code auto}, a LoRA is trained on it and the
 *     prompt is answered without it in context; otherwise it is put in context
 * @param task a known task family: with {@code adapter} {@code auto} and neither examples (2 or more) nor a document,
 *     its expert answers and the router does not run (400 if no expert has it); where the request fixes the adapter
 *     otherwise, it is only reported back
 * @param adapter {@code auto}, {@code none}, or an adapter id ({@code sha256:…})
 * @param maxTokens most tokens to generate
 * @param temperature 0 decodes greedily
 * @param topP nucleus mass in (0, 1]
 * @param stop strings that end generation
 * @param seed seed of the sampler; equal requests with equal seeds give equal answers
 * @param samples candidates to generate
 * @param vote how the answer is chosen among candidates
 * @param stream answer as server-sent events ({@code route}, {@code adapter}, {@code training}, {@code token}, {@code
 *     done})
 */
@Schema(name = "GenerateRequest", description = "A prompt and how to answer it")
public record GenerateRequest(
        @Schema(required = true, description = "The query (for few-shot tasks: the test input)")
        String prompt,

        @Schema(description = "Few-shot demonstrations; with 2 or more (and adapter auto) a LoRA is trained on them")
        List<Example> examples,

        @Schema(description = "Long context to learn from; with adapter auto a LoRA is trained on it")
        String document,

        @Schema(
                description = "A known task family: its expert answers without classification, unless examples,"
                        + " a document or the adapter field fix the adapter (then it is only reported)")
        String task,

        @Schema(description = "\"auto\" (default), \"none\", or an adapter id", defaultValue = "auto")
        String adapter,

        @JsonProperty("max_tokens") @Schema(description = "Most tokens to generate", minimum = "1")
        Integer maxTokens,

        @Schema(description = "0 decodes greedily", minimum = "0", maximum = "2")
        Float temperature,

        @JsonProperty("top_p")
        @Schema(description = "Nucleus mass", minimum = "0", exclusiveMinimum = true, maximum = "1")
        Float topP,

        @Schema(
                description = "A string or an array of strings that end generation",
                oneOf = {String.class, String[].class})
        List<String> stop,

        @Schema(description = "Seed of the sampler") Long seed,

        @Schema(description = "Candidates to generate", minimum = "1", defaultValue = "1")
        int samples,

        @Schema(description = "How the answer is chosen among candidates", defaultValue = "majority")
        Vote vote,

        @Schema(
                description = "Server-sent events: route, adapter, training, token, then done (the whole response)",
                defaultValue = "false")
        boolean stream) {

    public GenerateRequest {
        examples = examples == null ? List.of() : List.copyOf(examples);
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /**
     * A few-shot demonstration.
     *
     * @param input the demonstration's input
     * @param output the expected output for it
     */
    public record Example(String input, String output) {}
}
