package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterCacheException;
import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.cache.AdapterResult;
import ai.adaptserve.cache.AdapterStore;
import ai.adaptserve.cache.StoredAdapter;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.AdapterFile;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Finds adapters of the served base model in the cache, ready for the forward pass: the store's memory tier holds
 * them parsed by the {@link ForwardPassDecoder}; one that fails verification is refused, never used.
 */
@ApplicationScoped
class AdapterLookup {

    private static final Logger LOG = Logger.getLogger(AdapterLookup.class);

    private final AdapterStore store;
    private final ForwardPassDecoder decoder;

    AdapterLookup(AdapterStore store, ForwardPassDecoder decoder) {
        this.store = store;
        this.decoder = decoder;
    }

    /**
     * The adapter {@code id} of the served base model, from the fastest tier that holds it; empty if none does.
     *
     * @throws ApiException 422 {@code adapter_invalid} if its file fails verification (or its stored entry the HMAC
     *     check); 503 {@code adapter_store_unavailable} if the store cannot tell whether it exists
     */
    Optional<AdapterService.Resolved> find(ServedModel model, String id, Optional<String> tenant) {
        AdapterKey key = AdapterKey.of(adaptable(model).fingerprint(), id);
        if (tenant.isPresent()) {
            key = key.withTenant(tenant.get());
        }
        Optional<AdapterResult> found;
        try {
            found = store.get(key);
        } catch (AdapterCacheException.Unavailable e) {
            // Not an absence: a 404 would tell the client the adapter is gone.
            LOG.warnf("Adapter %s: %s", key.qualifiedId(), e.getMessage());
            throw TrainingErrors.storeUnavailable();
        } catch (AdapterCacheException.Unauthenticated e) {
            LOG.warnf("Adapter %s: %s", key.qualifiedId(), e.getMessage());
            throw new ApiException(
                    422, ErrorCodes.ADAPTER_INVALID, "adapter " + id + " failed verification and is not used");
        }
        return found.map(f -> resolve(f, 422));
    }

    /**
     * The parsed adapter of {@code result}.
     *
     * @throws ApiException {@code invalidStatus} {@code adapter_invalid} if its file fails verification
     */
    AdapterService.Resolved resolve(AdapterResult result, int invalidStatus) {
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
        return new AdapterService.Resolved(
                read.adapter(), read.metadata(), stored, result.source(), result.trainMillis());
    }

    /** The checkpoint behind {@code model}; adapters need one. */
    static LoadedModel adaptable(ServedModel model) {
        return model.loaded()
                .orElseThrow(() -> new ApiException(
                        400, ErrorCodes.UNSUPPORTED, "adapter: the served model does not run adapters"));
    }
}
