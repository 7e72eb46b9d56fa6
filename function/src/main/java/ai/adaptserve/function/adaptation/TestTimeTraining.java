package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterCacheException;
import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.cache.AdapterKind;
import ai.adaptserve.cache.AdapterResult;
import ai.adaptserve.cache.AdapterSource;
import ai.adaptserve.cache.AdapterStore;
import ai.adaptserve.cache.AdapterTrainer;
import ai.adaptserve.cache.TrainedAdapter;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.StopReason;
import ai.adaptserve.model.train.TrainingExample;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import ai.adaptserve.model.ttt.TestTimeRecipe;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Test-time training: a LoRA trained on a request's own data, once across the fleet, then served from the cache.
 *
 * <p><b>Examples</b> ({@link #trainOnExamples}): the ARC study's recipe ({@link TestTimeRecipe}): leave-one-out tasks
 * built from the demonstrations (the others in context, in the generic phrasing of {@link PromptRenderer#inOut}), under
 * invertible augmentations, with the loss on the held-out outputs. <b>Documents</b> ({@link #trainOnDocument}):
 * next-token prediction on the document, chunk by chunk. Both are keyed by {@link TttRecipes}; the stored adapter
 * carries {@value AdapterMetadata#PROMPT_FORMAT} metadata saying how prompts should look to it.
 */
@ApplicationScoped
class TestTimeTraining {

    private static final Logger LOG = Logger.getLogger(TestTimeTraining.class);

    private final AdapterStore store;
    private final ModelHolder models;
    private final AdapterLookup lookup;
    private final TttRecipes recipes;
    private final AdapterMetrics metrics;
    private final AdaptServeConfig.Ttt ttt;

    TestTimeTraining(
            AdapterStore store,
            ModelHolder models,
            AdapterLookup lookup,
            TttRecipes recipes,
            AdapterMetrics metrics,
            AdaptServeConfig config) {
        this.store = store;
        this.models = models;
        this.lookup = lookup;
        this.recipes = recipes;
        this.metrics = metrics;
        this.ttt = config.ttt();
    }

    /**
     * The LoRA of {@code examples} (two or more), from the cache or trained now.
     *
     * @throws ApiException 413 if a demonstration does not fit the model's context; see {@link TrainingErrors#toApi}
     *     for the others
     */
    AdapterService.Resolved trainOnExamples(ServedModel model, List<Demonstration> examples, Optional<String> tenant) {
        LoadedModel loaded = AdapterLookup.adaptable(model);
        TestTimeRecipe.Config recipe = recipes.examples();
        List<TrainingExample> data = TestTimeRecipe.trainingData(examples, recipe);
        for (TrainingExample ex : data) {
            int tokens = loaded.countTokens(ex.prompt() + ex.completion()) + 1;
            if (tokens > loaded.contextLength()) {
                throw new ApiException(
                        413,
                        ErrorCodes.PROMPT_TOO_LONG,
                        "examples: a leave-one-out training sequence is " + tokens + " tokens; the model's context is "
                                + loaded.contextLength() + " tokens");
            }
        }
        AdapterKey key = recipes.examplesKey(loaded.fingerprint(), examples, tenant);
        return getOrTrain(
                key,
                "examples",
                AdapterMetadata.FORMAT_IN_OUT,
                m -> TestTimeRecipe.trainOn(
                        m, data, recipe, ttt.maxWallTime(), recipes.clock(), TrainingListener.NONE));
    }

    /** The LoRA of {@code document}, from the cache or trained now; errors as {@link #trainOnExamples}. */
    AdapterService.Resolved trainOnDocument(ServedModel model, String document, Optional<String> tenant) {
        LoadedModel loaded = AdapterLookup.adaptable(model);
        DocumentTrainer.Config config = recipes.document();
        AdapterKey key = recipes.documentKey(loaded.fingerprint(), document, tenant);
        return getOrTrain(
                key,
                "document",
                AdapterMetadata.FORMAT_PLAIN,
                m -> DocumentTrainer.train(m, document, config, recipes.budget(), TrainingListener.NONE));
    }

    private AdapterService.Resolved getOrTrain(
            AdapterKey key,
            String data,
            String promptFormat,
            Function<LoadedModel, TrainingResult<? extends Adapter>> train) {
        AdapterResult result;
        try {
            result = store.getOrCreate(key, trainer(data, promptFormat, train), ttt.waitTimeout());
        } catch (AdapterCacheException e) {
            throw TrainingErrors.toApi(e, key, data);
        }
        if (result.source() == AdapterSource.TRAINED) {
            metrics.trained(data, Duration.ofMillis(result.trainMillis()));
        }
        return lookup.resolve(result, 500);
    }

    /** Trains on the served model under its own lease: the training may outlive the request that started it. */
    private AdapterTrainer trainer(
            String data, String promptFormat, Function<LoadedModel, TrainingResult<? extends Adapter>> train) {
        return key -> {
            ModelHolder.Lease lease = models.lease()
                    .orElseThrow(() -> new IllegalStateException("the model is not being served any more"));
            try (lease) {
                LoadedModel m = lease.model().loaded().orElseThrow();
                TrainingResult<? extends Adapter> result;
                try {
                    result = train.apply(m);
                } catch (IllegalArgumentException e) {
                    throw new TrainingErrors.UnusableData(e.getMessage(), e);
                }
                if (result.stopReason() == StopReason.WALL_TIME) {
                    // The id names the step count; an adapter cut short must not be cached under it for good.
                    throw new TrainingErrors.TrainingCutShort("training stopped by adaptserve.ttt.max-wall-time after "
                            + result.steps() + " steps (" + result.elapsedMs() + " ms)");
                }
                AdapterFile.Metadata meta =
                        new AdapterFile.Metadata(key.baseFingerprint(), Instant.now(), result.summary());
                LOG.debugf("Trained %s on %s: %s", key.qualifiedId(), data, result.summary());
                return new TrainedAdapter(
                        AdapterKind.LORA,
                        AdapterFile.toBytes(result.adapter(), meta),
                        Map.of(
                                AdapterMetadata.PROMPT_FORMAT,
                                promptFormat,
                                AdapterMetadata.TRAINED_ON,
                                data,
                                AdapterMetadata.TRAINING,
                                result.summary()));
            }
        };
    }
}
