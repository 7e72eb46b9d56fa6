package ai.adaptserve.model.generate;

import java.util.List;

/** Generates text for a batch of prompts in one pass of the model. Implementations are thread-safe. */
public interface TextGenerator {

    /** Runs every prompt of the batch together; the result at index i answers prompt i. */
    List<Generation> generate(List<String> prompts, List<GenerationParams> params);

    default Generation generate(String prompt, GenerationParams params) {
        return generate(List.of(prompt), List.of(params)).get(0);
    }

    /** Number of tokens the prompt becomes, for limits and usage. */
    int countTokens(String text);

    /** Longest prompt plus completion, in tokens. */
    int contextLength();
}
