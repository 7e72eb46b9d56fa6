package ai.adaptserve.function.auth;

import jakarta.ws.rs.container.ContainerRequestContext;
import java.util.Optional;

/**
 * Who is calling, as {@link AuthFilter} resolved it before the request reached its resource: the tenant whose
 * adapters the request reads, uses and trains, and the key it came with. Resources take the tenant from here, never
 * from a header.
 *
 * @param tenant the tenant namespace; empty only when the service is open and no {@code X-Tenant} was sent
 * @param key the API key; empty when the service is open
 */
public record Caller(Optional<String> tenant, Optional<ApiKey> key) {

    /** The request property {@link AuthFilter} stores the caller under. */
    static final String PROPERTY = Caller.class.getName();

    /** The tenant of the request being served (as resolved by {@link AuthFilter}). */
    public static Optional<String> tenant(ContainerRequestContext request) {
        return of(request).tenant();
    }

    /** The caller of the request being served; fails (a bug, 500) if {@link AuthFilter} has not run. */
    public static Caller of(ContainerRequestContext request) {
        if (request.getProperty(PROPERTY) instanceof Caller caller) {
            return caller;
        }
        throw new IllegalStateException("the request was not authenticated");
    }
}
