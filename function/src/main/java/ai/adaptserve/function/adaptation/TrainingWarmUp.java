package ai.adaptserve.function.adaptation;

import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.function.lifecycle.ModelReady;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.LoraTrainer;
import ai.adaptserve.model.train.TrainingExample;
import ai.adaptserve.model.train.TrainingListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Runs one training step and one adapted decoding step on a throw-away example when the model is ready
 * ({@code adaptserve.ttt.warm-up}): the engine's first autograd step costs seconds of one-time set-up, which would
 * otherwise land on the first request that trains.
 */
@ApplicationScoped
class TrainingWarmUp {

    private static final Logger LOG = Logger.getLogger(TrainingWarmUp.class);

    private final ModelHolder models;
    private final TttRecipes recipes;
    private final boolean enabled;

    TrainingWarmUp(ModelHolder models, TttRecipes recipes, AdaptServeConfig config) {
        this.models = models;
        this.recipes = recipes;
        this.enabled = config.ttt().warmUp();
    }

    void warmUp(@Observes ModelReady ready) {
        if (!enabled || ready.model().loaded().isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        try (ModelHolder.Lease lease = models.lease().orElse(null)) {
            if (lease == null) {
                return;
            }
            LoadedModel m = lease.model().loaded().orElseThrow();
            String prompt = PromptRenderer.inOut(List.of(), "ab");
            Adapter adapter = LoraTrainer.train(
                            m,
                            List.of(new TrainingExample(prompt, "ba" + PromptRenderer.TERMINATOR)),
                            recipes.lora(1),
                            recipes.budget(1),
                            TrainingListener.NONE)
                    .adapter();
            m.generate(
                    List.of(prompt),
                    List.of(new GenerationParams(1, 0f, 1f, List.of(), 0L)),
                    List.of(Optional.of(adapter)));
            LOG.infof("Test-time training warmed up in %d ms", (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.warn("Warming up test-time training failed; the first training will be slower", e);
        }
    }
}
