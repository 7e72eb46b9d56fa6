package ai.adaptserve.function.adapter;

import ai.adaptserve.cache.AdapterCacheException;
import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.cache.AdapterKind;
import ai.adaptserve.cache.AdapterResult;
import ai.adaptserve.cache.AdapterSource;
import ai.adaptserve.cache.AdapterStore;
import ai.adaptserve.cache.AdapterTrainer;
import ai.adaptserve.cache.StoredAdapter;
import ai.adaptserve.cache.TrainedAdapter;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.config.AdaptServeConfig;
import ai.adaptserve.function.model.ModelHolder;
import ai.adaptserve.function.model.ModelReady;
import ai.adaptserve.function.model.ServedModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.LoraTrainer;
import ai.adaptserve.model.train.StopReason;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.train.TrainingExample;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import ai.adaptserve.model.ttt.TestTimeRecipe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Finds adapters in the cache and trains them on a request's data (test-time training), ready for the forward pass.
 *
 * <p><b>Examples</b> ({@link #trainOnExamples}): a LoRA is trained by the ARC study's recipe ({@link TestTimeRecipe}):
 * leave-one-out tasks built from the demonstrations (the others in context, in the generic phrasing of
 * {@link PromptRenderer#inOut}), under invertible augmentations, with the loss on the held-out outputs. <b>Documents</b> ({@link #trainOnDocument}): a LoRA is trained by
 * next-token prediction on the document, chunk by chunk. Both are keyed by the base model, the hyper-parameters
 * ({@code adaptserve.ttt.*}) and the data, so the same request trains once across the fleet and is then served from
 * the cache. The stored adapter carries {@value #PROMPT_FORMAT} metadata saying how prompts should look to it.
 */
@ApplicationScoped
public class AdapterService {

    private static final Logger LOG = Logger.getLogger(AdapterService.class);

    /** Stored metadata: the prompt format the adapter was trained on ({@value #FORMAT_IN_OUT} or {@value #FORMAT_PLAIN}). */
    public static final String PROMPT_FORMAT = "prompt_format";
    /** Prompts {@code in: <x>\nout: }, answers end with a line break. */
    public static final String FORMAT_IN_OUT = "in-out";
    /** Prompts as they are. */
    public static final String FORMAT_PLAIN = "plain";
    /** Stored metadata: what the adapter was trained on ({@code examples} or {@code document}). */
    public static final String TRAINED_ON = "trained_on";
    /** Stored metadata: the trainer's summary (steps, losses, time, why it stopped), JSON. */
    public static final String TRAINING = "training";

    /** Version of the examples recipe (prompt rendering, loss); part of the key, so a change never reuses old ones. */
    static final String EXAMPLES_RECIPE = "ttt-examples.v2";
    /** Version of the document recipe. */
    static final String DOCUMENT_RECIPE = "ttt-document.v1";

    /** The header that puts a request's adapters in a tenant's namespace. */
    public static final String TENANT_HEADER = "X-Tenant";

    private final AdapterStore store;
    private final ModelHolder models;
    private final ForwardPassDecoder decoder;
    private final AdapterMetrics metrics;
    private final AdaptServeConfig.Ttt ttt;

    AdapterService(
            AdapterStore store,
            ModelHolder models,
            ForwardPassDecoder decoder,
            AdapterMetrics metrics,
            AdaptServeConfig config) {
        this.store = store;
        this.models = models;
        this.decoder = decoder;
        this.metrics = metrics;
        this.ttt = config.ttt();
    }

    /**
     * An adapter ready for the forward pass.
     *
     * @param adapter the parsed, verified adapter
     * @param file what its file says (base model, created, training summary)
     * @param stored the cache entry (id, kind, stored metadata, sizes)
     * @param source where it came from: a tier, or {@link AdapterSource#TRAINED} for this request
     * @param trainMillis training time when it was trained for this request, else 0
     */
    public record Resolved(
            Adapter adapter, AdapterFile.Metadata file, StoredAdapter stored, AdapterSource source, long trainMillis) {

        public String id() {
            return stored.id();
        }

        /** {@code memory|redis|s3|local|trained}. */
        public String tier() {
            return source.wireName();
        }

        /** {@code lora} or {@code svf}. */
        public String kind() {
            return adapter.kind();
        }

        /** How prompts should look to this adapter, when the trainer recorded it. */
        public Optional<String> promptFormat() {
            return Optional.ofNullable(stored.metadata().get(PROMPT_FORMAT));
        }
    }

    /** Whether {@code s} is a well-formed adapter id: {@code sha256:} and 64 lower-case hex digits. */
    public static boolean isId(String s) {
        return AdapterKey.isId(s);
    }

    /** The tenant of an {@value #TENANT_HEADER} header value; 400 naming the header when it is malformed. */
    public static Optional<String> tenant(String header) {
        if (header == null || header.isEmpty()) {
            return Optional.empty();
        }
        if (!AdapterKey.isTenant(header)) {
            throw ApiException.invalid(TENANT_HEADER + " must be 1 to 63 letters, digits, '_', '.' or '-', not starting"
                    + " with '.' or '-'");
        }
        return Optional.of(header);
    }

    /** The prompt a demonstration is trained on: {@code in: <input>\nout: }. */
    public static String trainingPrompt(String input) {
        return PromptRenderer.inOut(List.of(), input);
    }

    // ------------------------------------------------------------------------------------------------- lookups

    /**
     * The adapter {@code id} of the served base model, from the fastest tier that holds it; empty if none does.
     *
     * @throws ApiException 422 {@code adapter_invalid} if its file fails verification
     */
    public Optional<Resolved> find(ServedModel model, String id, Optional<String> tenant) {
        LoadedModel loaded = adaptable(model);
        AdapterKey key = AdapterKey.of(loaded.fingerprint(), id);
        if (tenant.isPresent()) {
            key = key.withTenant(tenant.get());
        }
        Optional<AdapterResult> found = store.get(key);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(resolve(found.get(), loaded, 422));
    }

    // ------------------------------------------------------------------------------------------------ training

    /** The key of the LoRA trained on {@code examples} with the configured hyper-parameters. */
    public AdapterKey examplesKey(String baseFingerprint, List<Demonstration> examples, Optional<String> tenant) {
        AdapterKey.Builder b = loraParams(AdapterKey.builder(baseFingerprint, AdapterKind.LORA))
                .param("recipe", EXAMPLES_RECIPE)
                .param("batch", ttt.batchSize())
                .param("relabels", ttt.relabels())
                .param("orders", ttt.orders());
        for (Demonstration e : examples) {
            b.example(e.input(), e.output());
        }
        tenant.ifPresent(b::tenant);
        return b.build();
    }

    /** The key of the LoRA trained on {@code document} with the configured hyper-parameters. */
    public AdapterKey documentKey(String baseFingerprint, String document, Optional<String> tenant) {
        AdapterKey.Builder b = loraParams(AdapterKey.builder(baseFingerprint, AdapterKind.LORA))
                .param("recipe", DOCUMENT_RECIPE)
                .param("chunk", ttt.document().chunkTokens())
                .param("passes", ttt.document().passes())
                .document(document);
        tenant.ifPresent(b::tenant);
        return b.build();
    }

    private AdapterKey.Builder loraParams(AdapterKey.Builder b) {
        return b.param("rank", ttt.rank())
                .param("alpha", exact(ttt.alpha()))
                .param("lr", exact(ttt.learningRate()))
                .param("steps", ttt.steps())
                .param("seed", ttt.seed())
                .param(
                        "targets",
                        String.join(
                                ",",
                                targets().stream().map(TargetMatrix::shortName).toList()))
                .param("head", ttt.head());
    }

    /** The float as written in the configuration ({@code 0.01}, not {@code 0.009999999776482582}). */
    private static double exact(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    private Set<TargetMatrix> targets() {
        Set<TargetMatrix> out = EnumSet.noneOf(TargetMatrix.class);
        for (String t : ttt.targets()) {
            out.add(TargetMatrix.fromShortName(t));
        }
        return out;
    }

    private TrainingBudget budget() {
        return new TrainingBudget(ttt.steps(), ttt.maxWallTime());
    }

    /**
     * The LoRA of {@code examples} (two or more), from the cache or trained now.
     *
     * @throws ApiException 413 if a demonstration does not fit the model's context; 503 {@code adapter_training} if
     *     the training takes longer than {@code adaptserve.ttt.wait-timeout}; 422/500 {@code training_failed}
     */
    public Resolved trainOnExamples(ServedModel model, List<Demonstration> examples, Optional<String> tenant) {
        LoadedModel loaded = adaptable(model);
        TestTimeRecipe.Config recipe = new TestTimeRecipe.Config(
                new LoraTrainer.Config(
                        ttt.rank(),
                        ttt.alpha(),
                        targets(),
                        ttt.head(),
                        ttt.learningRate(),
                        0f,
                        1,
                        ttt.batchSize(),
                        ttt.seed()),
                ttt.steps(),
                ttt.relabels(),
                ttt.orders(),
                ttt.seed());
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
        AdapterKey key = examplesKey(loaded.fingerprint(), examples, tenant);
        return getOrTrain(
                key,
                loaded,
                "examples",
                FORMAT_IN_OUT,
                m -> TestTimeRecipe.trainOn(m, data, recipe, ttt.maxWallTime(), TrainingListener.NONE));
    }

    /**
     * The LoRA of {@code document}, from the cache or trained now; errors as {@link #trainOnExamples}.
     */
    public Resolved trainOnDocument(ServedModel model, String document, Optional<String> tenant) {
        LoadedModel loaded = adaptable(model);
        Set<TargetMatrix> targets = EnumSet.copyOf(targets());
        if (ttt.head()) {
            targets.add(TargetMatrix.HEAD);
        }
        DocumentTrainer.Config config = new DocumentTrainer.Config(
                DocumentTrainer.Kind.LORA,
                ttt.document().chunkTokens(),
                ttt.learningRate(),
                ttt.document().passes(),
                ttt.rank(),
                ttt.alpha(),
                targets,
                ttt.seed());
        AdapterKey key = documentKey(loaded.fingerprint(), document, tenant);
        return getOrTrain(
                key,
                loaded,
                "document",
                FORMAT_PLAIN,
                m -> DocumentTrainer.train(m, document, config, budget(), TrainingListener.NONE));
    }

    /** The request's data could not be trained on (too short, too long): the client's doing, answered 422. */
    static final class UnusableData extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnusableData(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /** The training hit {@code max-wall-time}: answered 503, nothing cached, a later request trains again. */
    static final class TrainingCutShort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TrainingCutShort(String message) {
            super(message, null, false, false);
        }
    }

    private Resolved getOrTrain(
            AdapterKey key,
            LoadedModel loaded,
            String data,
            String promptFormat,
            Function<LoadedModel, TrainingResult<? extends Adapter>> train) {
        String fingerprint = key.baseFingerprint();
        AdapterTrainer trainer = k -> {
            // Its own lease: the training may outlive the request that started it (wait-timeout).
            ModelHolder.Lease lease = models.lease()
                    .orElseThrow(() -> new IllegalStateException("the model is not being served any more"));
            try (lease) {
                LoadedModel m = lease.model().loaded().orElseThrow();
                TrainingResult<? extends Adapter> result;
                try {
                    result = train.apply(m);
                } catch (IllegalArgumentException e) {
                    throw new UnusableData(e.getMessage(), e);
                }
                if (result.stopReason() == StopReason.WALL_TIME) {
                    // The id names the step count; an adapter cut short must not be cached under it for good.
                    throw new TrainingCutShort("training stopped by adaptserve.ttt.max-wall-time after "
                            + result.steps() + " steps (" + result.elapsedMs() + " ms)");
                }
                AdapterFile.Metadata meta = new AdapterFile.Metadata(fingerprint, Instant.now(), result.summary());
                byte[] bytes = AdapterFile.toBytes(result.adapter(), meta);
                LOG.debugf("Trained %s on %s: %s", k.qualifiedId(), data, result.summary());
                return new TrainedAdapter(
                        AdapterKind.LORA,
                        bytes,
                        Map.of(PROMPT_FORMAT, promptFormat, TRAINED_ON, data, TRAINING, result.summary()));
            }
        };
        AdapterResult result;
        try {
            result = store.getOrCreate(key, trainer, ttt.waitTimeout());
        } catch (AdapterCacheException.WaitTimedOut e) {
            throw new ApiException(
                    503,
                    ErrorCodes.ADAPTER_TRAINING,
                    "the adapter " + key.id() + " is still being trained; send the same request again shortly",
                    Map.of("Retry-After", "5"));
        } catch (AdapterCacheException.TrainingFailed e) {
            if (e.getCause() instanceof TrainingCutShort cut) {
                LOG.warnf("Test-time training of %s: %s", key.qualifiedId(), cut.getMessage());
                throw new ApiException(
                        503,
                        ErrorCodes.TRAINING_TIMEOUT,
                        "test-time training took longer than this instance allows; try again later",
                        Map.of("Retry-After", "5"));
            }
            if (e.getCause() instanceof UnusableData u) {
                throw new ApiException(
                        422,
                        ErrorCodes.TRAINING_FAILED,
                        "test-time training on the " + data + " failed: " + u.getMessage());
            }
            String ref = UUID.randomUUID().toString();
            LOG.errorf(e, "Test-time training of %s failed (reference %s)", key.qualifiedId(), ref);
            throw new ApiException(500, ErrorCodes.TRAINING_FAILED, "test-time training failed; reference " + ref);
        } catch (AdapterCacheException.Interrupted e) {
            throw new ApiException(503, ErrorCodes.MODEL_UNAVAILABLE, "the instance is shutting down");
        }
        if (result.source() == AdapterSource.TRAINED) {
            metrics.trained(data, Duration.ofMillis(result.trainMillis()));
        }
        return resolve(result, loaded, 500);
    }

    /**
     * Runs one training step and one adapted decoding step on a throw-away example when the model is ready
     * ({@code adaptserve.ttt.warm-up}): the engine's first autograd step costs seconds of one-time set-up, which
     * would otherwise land on the first request that trains.
     */
    void warmUp(@Observes ModelReady ready) {
        if (!ttt.warmUp() || ready.model().loaded().isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        try (ModelHolder.Lease lease = models.lease().orElse(null)) {
            if (lease == null) {
                return;
            }
            LoadedModel m = lease.model().loaded().orElseThrow();
            LoraTrainer.Config config = new LoraTrainer.Config(
                    ttt.rank(), ttt.alpha(), targets(), ttt.head(), ttt.learningRate(), 0f, 1, 1, ttt.seed());
            Adapter adapter = LoraTrainer.train(
                            m,
                            List.of(new TrainingExample(trainingPrompt("ab"), "ba" + PromptRenderer.TERMINATOR)),
                            config,
                            new TrainingBudget(1, ttt.maxWallTime()),
                            TrainingListener.NONE)
                    .adapter();
            m.generate(
                    List.of(trainingPrompt("ab")),
                    List.of(new GenerationParams(1, 0f, 1f, List.of(), 0L)),
                    List.of(Optional.of(adapter)));
            LOG.infof("Test-time training warmed up in %d ms", (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.warn("Warming up test-time training failed; the first training will be slower", e);
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private Resolved resolve(AdapterResult result, LoadedModel model, int invalidStatus) {
        StoredAdapter stored = result.adapter();
        AdapterFile.Read read;
        try {
            read = stored.decoded(decoder);
        } catch (AdapterCacheException.Undecodable e) {
            String why = e.getCause().getMessage();
            LOG.warnf("Adapter %s from %s failed verification: %s", stored.key(), result.source(), why);
            throw new ApiException(
                    invalidStatus,
                    ErrorCodes.ADAPTER_INVALID,
                    "adapter " + stored.id() + " failed verification and is not used: " + why);
        }
        return new Resolved(read.adapter(), read.metadata(), stored, result.source(), result.trainMillis());
    }

    /** The checkpoint behind {@code model}; adapters need one. */
    private static LoadedModel adaptable(ServedModel model) {
        return model.loaded()
                .orElseThrow(() -> new ApiException(
                        400, ErrorCodes.UNSUPPORTED, "adapter: the served model does not run adapters"));
    }
}
