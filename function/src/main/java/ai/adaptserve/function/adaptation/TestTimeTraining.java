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
import ai.adaptserve.function.routing.TaskRouting;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.CemMixtureSearch;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.StopReason;
import ai.adaptserve.model.train.TrainingExample;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import ai.adaptserve.model.ttt.DocumentRecipe;
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
    private static final String WALL_TIME_KEY = "adaptserve.ttt.max-wall-time";

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
        return trainOnExamples(model, examples, tenant, TrainingListener.NONE);
    }

    /** As above; {@code listener} hears the steps when this call starts the training (never fails it). */
    AdapterService.Resolved trainOnExamples(
            ServedModel model, List<Demonstration> examples, Optional<String> tenant, TrainingListener listener) {
        LoadedModel loaded = AdapterLookup.adaptable(model);
        TestTimeRecipe.Config recipe = recipes.examples();
        List<TrainingExample> data = TestTimeRecipe.trainingData(examples, recipe);
        checkFits(loaded, data);
        AdapterKey key = recipes.examplesKey(loaded.fingerprint(), examples, tenant);
        return getOrTrain(
                key,
                AdapterKind.LORA,
                "examples",
                AdapterMetadata.FORMAT_IN_OUT,
                WALL_TIME_KEY,
                m -> TestTimeRecipe.trainOn(m, data, recipe, ttt.maxWallTime(), recipes.clock(), safe(listener)));
    }

    /**
     * The LoRA of {@code document}, from the cache or trained now: every chunk, {@code passes} times.
     *
     * @throws ApiException 413 {@code document_too_long} naming {@code document} when it needs more steps than
     *     {@code adaptserve.ttt.document.max-steps} (nothing is trained); the others as {@link #trainOnExamples}
     */
    AdapterService.Resolved trainOnDocument(ServedModel model, String document, Optional<String> tenant) {
        return trainOnDocument(model, document, tenant, TrainingListener.NONE);
    }

    /** As above; {@code listener} as for examples. */
    AdapterService.Resolved trainOnDocument(
            ServedModel model, String document, Optional<String> tenant, TrainingListener listener) {
        LoadedModel loaded = AdapterLookup.adaptable(model);
        DocumentRecipe recipe = recipes.documentRecipe();
        DocumentRecipe.Plan plan;
        try {
            plan = recipe.plan(loaded, document);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("document: " + e.getMessage());
        }
        if (!plan.covered()) {
            throw new ApiException(
                    413,
                    ErrorCodes.DOCUMENT_TOO_LONG,
                    "document is " + plan.chunks() + " chunks of "
                            + recipe.trainer().chunkTokens() + " tokens; "
                            + recipe.trainer().passes() + " passes over it need " + plan.steps()
                            + " training steps, more than adaptserve.ttt.document.max-steps (" + recipe.maxSteps()
                            + "); send a shorter document, or \"adapter\": \"none\" to put it in context");
        }
        AdapterKey key = recipes.documentKey(loaded.fingerprint(), document, tenant);
        return getOrTrain(
                key,
                AdapterKind.LORA,
                "document",
                AdapterMetadata.FORMAT_PLAIN,
                "adaptserve.ttt.document.max-wall-time",
                m -> DocumentTrainer.train(
                        m, document, recipe.trainer(), recipe.budget(plan).withClock(recipes.clock()), safe(listener)));
    }

    /**
     * The mixture of {@code experts} that CEM finds on the leave-one-out tasks of {@code examples} (two or more), from
     * the cache or searched now; errors as {@link #trainOnExamples}.
     */
    AdapterService.Resolved searchMixture(
            ServedModel model, List<Demonstration> examples, TaskRouting.Experts experts, Optional<String> tenant) {
        LoadedModel loaded = AdapterLookup.adaptable(model);
        List<TrainingExample> data = TestTimeRecipe.leaveOneOut(examples);
        checkFits(loaded, data);
        CemMixtureSearch.Config config = recipes.cem();
        AdapterKey key = recipes.cemKey(loaded.fingerprint(), experts.digest(), examples, tenant);
        return getOrTrain(key, AdapterKind.SVF, "examples", AdapterMetadata.FORMAT_IN_OUT, WALL_TIME_KEY, m -> {
            CemMixtureSearch.Result r = CemMixtureSearch.search(
                    m, experts.set().all(), data, config, recipes.cemBudget(), TrainingListener.NONE);
            return new TrainingResult<Adapter>(
                    r.mixture(),
                    r.iterations(),
                    -r.baselineScore(), // the uniform mixture's loss: the search's start
                    -r.score(),
                    r.elapsedMs(),
                    r.stopReason());
        });
    }

    /**
     * {@code listener}, unable to fail the training: the training outlives the request that started it (a streaming
     * client may be gone) and is cached for the next one.
     */
    private static TrainingListener safe(TrainingListener listener) {
        return p -> {
            try {
                listener.onProgress(p);
            } catch (RuntimeException e) {
                LOG.debugf("A training listener failed (its request may be gone): %s", e.toString());
            }
        };
    }

    private static void checkFits(LoadedModel loaded, List<TrainingExample> data) {
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
    }

    private AdapterService.Resolved getOrTrain(
            AdapterKey key,
            AdapterKind kind,
            String data,
            String promptFormat,
            String wallTimeKey,
            Function<LoadedModel, TrainingResult<? extends Adapter>> train) {
        AdapterResult result;
        try {
            result = store.getOrCreate(key, trainer(kind, data, promptFormat, wallTimeKey, train), ttt.waitTimeout());
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
            AdapterKind kind,
            String data,
            String promptFormat,
            String wallTimeKey,
            Function<LoadedModel, TrainingResult<? extends Adapter>> train) {
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
                    throw new TrainingErrors.TrainingCutShort("training stopped by " + wallTimeKey + " after "
                            + result.steps() + " steps (" + result.elapsedMs() + " ms)");
                }
                AdapterFile.Metadata meta =
                        new AdapterFile.Metadata(key.baseFingerprint(), Instant.now(), result.summary());
                LOG.debugf("Trained %s on %s: %s", key.qualifiedId(), data, result.summary());
                return new TrainedAdapter(
                        kind,
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
