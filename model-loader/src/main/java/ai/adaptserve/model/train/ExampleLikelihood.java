package ai.adaptserve.model.train;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import java.util.List;
import java.util.Optional;

/** How likely a model finds some examples' completions: the score CEM searches on and a verifier ranks by. */
public final class ExampleLikelihood {
    private ExampleLikelihood() {}

    /**
     * Mean log-probability per completion token of {@code examples} (each completion after its prompt) under the base
     * model or {@code adapter}, without gradients.
     *
     * @throws IllegalArgumentException for no examples or one longer than the model's context
     */
    public static double meanLogProb(LoadedModel model, Optional<Adapter> adapter, List<TrainingExample> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to score");
        }
        return Scoring.score(model, adapter, Sequences.examples(model, examples))
                .meanLogProb();
    }
}
