package ai.adaptserve.function.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/** Counts API answers by endpoint, status and outcome ({@code ok} or the error code): {@code adaptserve_requests_total}. */
@ApplicationScoped
public class ApiMetrics {

    public static final String REQUESTS = "adaptserve.requests";

    private final MeterRegistry registry;

    public ApiMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records one answer. */
    public void answered(String endpoint, int status, String outcome) {
        Counter.builder(REQUESTS)
                .description("API requests answered, by endpoint, HTTP status and outcome (ok or the error code)")
                .tag("endpoint", endpoint)
                .tag("status", Integer.toString(status))
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    /** The endpoint tag of a request path: the known API paths as they are, anything else as {@code other}. */
    public static String endpoint(String path) {
        return switch (path) {
            case "/v1/generate", "/v1/models", "/v1/chat/completions", "/v1/completions" -> path;
            default -> path.startsWith("/v1/adapters/") ? "/v1/adapters/{id}" : "other";
        };
    }
}
