package ai.adaptserve.function.auth;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every request that reaches the REST layer (the {@code /v1} API), before it is matched to a resource
 * and before its body is read, and stores its {@link Caller} for the resource. The health checks and metrics under
 * {@code /q} are served outside the REST layer and stay open.
 */
public class AuthFilter {

    private final Authenticator authenticator;

    public AuthFilter(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    @ServerRequestFilter(preMatching = true)
    public void authenticate(ContainerRequestContext request) {
        Caller caller = authenticator.authenticate(
                request.getHeaderString(HttpHeaders.AUTHORIZATION), request.getHeaderString(Tenants.HEADER));
        request.setProperty(Caller.PROPERTY, caller);
    }
}
