package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.cache.AdapterSource;
import ai.adaptserve.cache.StoredAdapter;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.function.routing.TaskRouting;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.train.TrainingListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;

/**
 * The adapters of a request, as the generate path asks for them: one found by id ({@link AdapterLookup}), or one
 * trained on the request's examples or document ({@link TestTimeTraining}), either ready for the forward pass. A thin
 * entry point; the work is done by the classes beside it:
 *
 * <ul>
 *   <li>{@link AdapterLookup} — finding an adapter of the served model in the cache;
 *   <li>{@link TestTimeTraining} — training one on a request's data, once across the fleet ({@link TrainingErrors}: what
 *       the client is told when that fails);
 *   <li>{@link TttRecipes} — {@code adaptserve.ttt.*} as trainer configurations and as the keys they train under;
 *   <li>{@link ForwardPassDecoder} — parsing adapter files, for the cache's memory tier;
 *   <li>{@link TrainingWarmUp} — the engine's one-time training set-up, at start;
 *   <li>{@link AdapterMetadata} — the metadata stored with adapters (the tenant comes from {@code function.auth.Caller}).
 * </ul>
 *
 * The id and tenant formats are the cache's ({@link AdapterKey#isId}, {@link AdapterKey#isTenant}).
 */
@ApplicationScoped
public class AdapterService {

    /** Prompts {@code in: <x>\nout: }, answers end with a line break (a {@link Resolved#promptFormat()}). */
    public static final String FORMAT_IN_OUT = AdapterMetadata.FORMAT_IN_OUT;

    private final AdapterLookup lookup;
    private final TestTimeTraining training;

    AdapterService(AdapterLookup lookup, TestTimeTraining training) {
        this.lookup = lookup;
        this.training = training;
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
            return Optional.ofNullable(stored.metadata().get(AdapterMetadata.PROMPT_FORMAT));
        }
    }

    /** Whether {@code s} is a well-formed adapter id: {@code sha256:} and 64 lower-case hex digits. */
    public static boolean isId(String s) {
        return AdapterKey.isId(s);
    }

    /**
     * The adapter {@code id} of the served base model, from the fastest tier that holds it; empty if none does.
     *
     * @throws ApiException 422 {@code adapter_invalid} if its file fails verification; 503
     *     {@code adapter_store_unavailable} if the store cannot tell whether it exists (an outage is not an absence)
     */
    public Optional<Resolved> find(ServedModel model, String id, Optional<String> tenant) {
        return lookup.find(model, id, tenant);
    }

    /**
     * The LoRA of {@code examples} (two or more), from the cache or trained now.
     *
     * @throws ApiException 413 if a demonstration does not fit the model's context; 503 {@code adapter_training} if
     *     the training takes longer than {@code adaptserve.ttt.wait-timeout}; 429 {@code overloaded} if the training
     *     queue is full; 403 {@code quota_exceeded} if the tenant is at its storage quota; 422/500
     *     {@code training_failed}
     */
    public Resolved trainOnExamples(ServedModel model, List<Demonstration> examples, Optional<String> tenant) {
        return trainOnExamples(model, examples, tenant, TrainingListener.NONE);
    }

    /**
     * As {@link #trainOnExamples(ServedModel, List, Optional)}; {@code listener} hears the steps of a training this
     * call starts (none when the adapter is found, or another request's training is joined).
     */
    public Resolved trainOnExamples(
            ServedModel model, List<Demonstration> examples, Optional<String> tenant, TrainingListener listener) {
        return training.trainOnExamples(model, examples, tenant, listener);
    }

    /**
     * The LoRA of {@code document}, from the cache or trained now, every chunk of it.
     *
     * @throws ApiException 413 {@code document_too_long} when the document needs more steps than
     *     {@code adaptserve.ttt.document.max-steps}; the others as {@link #trainOnExamples}
     */
    public Resolved trainOnDocument(ServedModel model, String document, Optional<String> tenant) {
        return trainOnDocument(model, document, tenant, TrainingListener.NONE);
    }

    /** As {@link #trainOnDocument(ServedModel, String, Optional)}, {@code listener} as for examples. */
    public Resolved trainOnDocument(
            ServedModel model, String document, Optional<String> tenant, TrainingListener listener) {
        return training.trainOnDocument(model, document, tenant, listener);
    }

    /**
     * The mixture of {@code experts} that Transformer²'s CEM search finds on {@code examples} (two or more), from the
     * cache or searched now; errors as {@link #trainOnExamples}.
     */
    public Resolved searchMixture(
            ServedModel model, List<Demonstration> examples, TaskRouting.Experts experts, Optional<String> tenant) {
        return training.searchMixture(model, examples, experts, tenant);
    }
}
