package ai.adaptserve.lab.eval;

import ai.adaptserve.lab.tasks.PromptFormat;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.prompt.PromptRenderer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Greedy answers to few-shot prompts, in batches, each row with its own adapter (or none): the answer is the text up
 * to the terminator. Exact match compares it with the expected output as it is.
 */
public final class GreedyAnswers {
    /** Rows decoded together. */
    public static final int BATCH = 16;
    /** Longest answer generated; the suite's outputs are at most 16 characters. */
    public static final int MAX_TOKENS = 32;

    private GreedyAnswers() {}

    /** One answer per prompt; {@code adapters} has one entry per prompt. */
    public static List<String> of(LoadedModel model, List<String> prompts, List<Optional<Adapter>> adapters) {
        if (prompts.size() != adapters.size()) {
            throw new IllegalArgumentException("need one adapter entry per prompt");
        }
        List<String> out = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += BATCH) {
            int to = Math.min(prompts.size(), from + BATCH);
            List<Generation> gens = model.generate(
                    prompts.subList(from, to), Collections.nCopies(to - from, params()), adapters.subList(from, to));
            for (Generation g : gens) {
                out.add(PromptRenderer.answer(g.text()));
            }
        }
        return out;
    }

    /** Every prompt with the same adapter (or none). */
    public static List<String> of(LoadedModel model, List<String> prompts, Optional<Adapter> adapter) {
        return of(model, prompts, Collections.nCopies(prompts.size(), adapter));
    }

    /** Greedy decoding that stops at the terminator. */
    public static GenerationParams params() {
        return new GenerationParams(MAX_TOKENS, 0f, 1f, List.of(PromptFormat.TERMINATOR), 0L);
    }
}
