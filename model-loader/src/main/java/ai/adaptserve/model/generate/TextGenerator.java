package ai.adaptserve.model.generate;

import java.util.List;

/** Generates text for a batch of prompts in one pass of the model. Implementations are thread-safe. */
public interface TextGenerator {

    /** The prompt's token ids as the model sees them; encode a prompt once and pass the result on. */
    PromptTokens tokenize(String text);

    /** Runs every prompt of the batch together, from their token ids; the result at index i answers prompt i. */
    List<Generation> generateFromTokens(List<PromptTokens> prompts, List<GenerationParams> params);

    /** As {@link #generateFromTokens}, encoding each prompt first. */
    default List<Generation> generate(List<String> prompts, List<GenerationParams> params) {
        return generateFromTokens(prompts.stream().map(this::tokenize).toList(), params);
    }

    default Generation generate(String prompt, GenerationParams params) {
        return generate(List.of(prompt), List.of(params)).get(0);
    }

    /** Number of tokens the prompt becomes, for limits and usage. */
    default int countTokens(String text) {
        return tokenize(text).length();
    }

    /** Longest prompt plus completion, in tokens. */
    int contextLength();
}
