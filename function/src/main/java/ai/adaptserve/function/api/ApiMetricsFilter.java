package ai.adaptserve.function.api;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/** Counts every answer of the {@code /v1} API, errors included. */
public class ApiMetricsFilter {

    private final ApiMetrics metrics;

    public ApiMetricsFilter(ApiMetrics metrics) {
        this.metrics = metrics;
    }

    @ServerResponseFilter
    public void count(ContainerRequestContext request, ContainerResponseContext response) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/v1/")) {
            return;
        }
        String outcome =
                response.getEntity() instanceof ErrorResponse e ? e.error().code() : "ok";
        metrics.answered(ApiMetrics.endpoint(path), response.getStatus(), outcome);
    }
}
