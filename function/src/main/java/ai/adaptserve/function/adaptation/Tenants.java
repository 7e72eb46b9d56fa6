package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.function.api.ApiException;
import java.util.Optional;

/** The header that puts a request's adapters in a tenant's namespace; its format is {@link AdapterKey#isTenant}. */
final class Tenants {
    private Tenants() {}

    /** The header's name. */
    static final String HEADER = "X-Tenant";

    /** The tenant of a {@value #HEADER} header value; 400 naming the header when it is malformed. */
    static Optional<String> fromHeader(String header) {
        if (header == null || header.isEmpty()) {
            return Optional.empty();
        }
        if (!AdapterKey.isTenant(header)) {
            throw ApiException.invalid(
                    HEADER + " must be 1 to 63 letters, digits, '_', '.' or '-', not starting" + " with '.' or '-'");
        }
        return Optional.of(header);
    }
}
