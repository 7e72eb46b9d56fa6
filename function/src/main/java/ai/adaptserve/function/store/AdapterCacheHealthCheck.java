package ai.adaptserve.function.store;

import ai.adaptserve.cache.CacheMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * The adapter cache's tiers, as information only: always UP. A down Redis or S3 costs requests nothing (the store
 * skips it and falls back to the other tiers, training if need be), so it must not take the instance out of the load
 * balancer. The state comes from the store's {@code adapter.cache.tier.up} gauges; alert on those instead.
 */
@Readiness
@ApplicationScoped
public class AdapterCacheHealthCheck implements HealthCheck {

    static final String NAME = "adapter-cache";

    private final MeterRegistry registry;

    public AdapterCacheHealthCheck(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME).up();
        Map<String, String> tiers = tiers(registry);
        response.withData("redis", tiers.getOrDefault("redis", "off"));
        tiers.forEach((tier, state) -> {
            if (!tier.equals("redis")) {
                response.withData("durable", tier).withData(tier, state);
            }
        });
        Gauge pending = registry.find(CacheMetrics.WRITE_BEHIND_PENDING).gauge();
        if (pending != null) {
            response.withData("write_behind_pending", (long) pending.value());
        }
        return response.build();
    }

    /** {@code up} or {@code down} by tier name ({@code redis}, {@code s3}, {@code local}), as the gauges say. */
    static Map<String, String> tiers(MeterRegistry registry) {
        Map<String, String> out = new TreeMap<>();
        for (Gauge g : registry.find(CacheMetrics.TIER_UP).gauges()) {
            String tier = g.getId().getTag("tier");
            if (tier != null) {
                out.put(tier, g.value() >= 1 ? "up" : "down");
            }
        }
        return out;
    }
}
