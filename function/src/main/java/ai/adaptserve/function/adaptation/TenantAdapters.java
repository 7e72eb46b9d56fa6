package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterListing;
import ai.adaptserve.cache.AdapterStore;
import ai.adaptserve.cache.ListedAdapter;
import ai.adaptserve.function.lifecycle.ServedModel;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The adapters a caller may use with the served base model, as the durable tier lists them under the caller's tenant
 * (for {@code GET /v1/models}). Another tenant's adapters are never listed: the listing is of the caller's own prefix.
 */
@ApplicationScoped
public class TenantAdapters {

    /** At most this many adapters are listed; a client that needs more looks an id up directly. */
    public static final int MAX_LISTED = 1000;

    private static final Logger LOG = Logger.getLogger(TenantAdapters.class);

    private final AdapterStore store;

    TenantAdapters(AdapterStore store) {
        this.store = store;
    }

    /**
     * The caller's adapters of {@code model}, in id order, at most {@link #MAX_LISTED}; empty for a model that runs no
     * adapters.
     *
     * @throws ai.adaptserve.function.api.ApiException 503 {@code adapter_store_unavailable} if the durable tier cannot
     *     be listed (an outage is not an absence)
     */
    public List<ListedAdapter> of(ServedModel model, Optional<String> tenant) {
        if (model.loaded().isEmpty()) {
            return List.of();
        }
        String fingerprint = model.loaded().get().fingerprint();
        return switch (store.list(tenant, fingerprint, MAX_LISTED)) {
            case AdapterListing.Listed listed -> {
                if (listed.truncated()) {
                    LOG.infof(
                            "GET /v1/models: more than %d adapters stored; the first %d are listed",
                            MAX_LISTED, MAX_LISTED);
                }
                yield listed.adapters();
            }
            case AdapterListing.Unavailable u -> {
                LOG.warnf("Listing adapters: %s", u.why());
                throw TrainingErrors.storeUnavailable();
            }
        };
    }
}
