package ai.adaptserve.function.auth;

import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.function.api.ApiException;
import java.util.Optional;

/** Tenant names: the namespace in front of every stored adapter of a tenant (the adapter cache's rule). */
public final class Tenants {
    private Tenants() {}

    /** The header that picks the tenant: any client's when the service is open, an admin key's otherwise. */
    public static final String HEADER = "X-Tenant";

    /** Whether {@code name} can be a tenant: 1 to 63 letters, digits, '_', '.' or '-', not starting with '.' or '-'. */
    public static boolean isValid(String name) {
        return name != null && AdapterKey.isTenant(name);
    }

    /** The tenant an {@value #HEADER} header value picks; empty when absent; 400 naming the header when malformed. */
    public static Optional<String> fromHeader(String header) {
        if (header == null || header.isEmpty()) {
            return Optional.empty();
        }
        if (!isValid(header)) {
            throw ApiException.invalid(
                    HEADER + " must be 1 to 63 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
        }
        return Optional.of(header);
    }
}
