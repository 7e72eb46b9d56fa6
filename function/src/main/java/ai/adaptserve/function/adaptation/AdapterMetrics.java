package ai.adaptserve.function.adaptation;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * Metrics of adaptation, besides the cache's own {@code adapter_cache_*}:
 *
 * <ul>
 *   <li>{@code adaptserve_adaptations_total{tier, kind}} — requests answered with an adapter from each tier
 *       ({@code memory|redis|s3|local|trained}) or without one ({@code none});
 *   <li>{@code adaptserve_adapter_training_seconds{data}} — test-time trainings run for requests, by what they learnt
 *       ({@code examples|document});
 *   <li>{@code adaptserve_adapter_parse_seconds{result}} — parsing and verifying adapter files ({@code ok|invalid}),
 *       each time an adapter enters the cache's memory tier (whose hits and misses are
 *       {@code adapter_cache_gets_total{tier="memory"}}).
 * </ul>
 */
@ApplicationScoped
public class AdapterMetrics {

    public static final String ADAPTATIONS = "adaptserve.adaptations";
    public static final String TRAINING = "adaptserve.adapter.training";
    public static final String PARSE = "adaptserve.adapter.parse";

    private final MeterRegistry registry;

    public AdapterMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One answer adapted with an adapter from {@code tier} (or {@code none}). */
    public void adapted(String tier, String kind) {
        Counter.builder(ADAPTATIONS)
                .description("Requests by where their adapter came from (none: the base model)")
                .tag("tier", tier)
                .tag("kind", kind)
                .register(registry)
                .increment();
    }

    void trained(String data, Duration took) {
        Timer.builder(TRAINING)
                .description("Test-time trainings run for requests, waiting and training included")
                .tag("data", data)
                .publishPercentileHistogram()
                .register(registry)
                .record(took);
    }

    void parsed(boolean ok, Duration took) {
        Timer.builder(PARSE)
                .description("Parsing and verifying an adapter file for the forward pass")
                .tag("result", ok ? "ok" : "invalid")
                .register(registry)
                .record(took);
    }
}
