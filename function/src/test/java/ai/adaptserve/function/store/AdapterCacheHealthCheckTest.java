package ai.adaptserve.function.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.adaptserve.cache.CacheMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/** The cache's tiers are reported as information: a down tier never makes readiness DOWN. */
class AdapterCacheHealthCheckTest {

    private static SimpleMeterRegistry registry(Map<String, Integer> tiers) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        tiers.forEach((tier, up) ->
                Gauge.builder(CacheMetrics.TIER_UP, () -> up).tag("tier", tier).register(registry));
        Gauge.builder(CacheMetrics.WRITE_BEHIND_PENDING, () -> 3).register(registry);
        return registry;
    }

    @Test
    void call_redisAndS3Down_upWithTierStates() {
        HealthCheckResponse response = new AdapterCacheHealthCheck(registry(Map.of("redis", 0, "s3", 0))).call();

        assertEquals(HealthCheckResponse.Status.UP, response.getStatus());
        Map<String, Object> data = response.getData().orElseThrow();
        assertEquals("down", data.get("redis"));
        assertEquals("down", data.get("s3"));
        assertEquals("s3", data.get("durable"));
        assertEquals(3L, data.get("write_behind_pending"));
    }

    @Test
    void call_noRedisLocalUp_redisOff() {
        HealthCheckResponse response = new AdapterCacheHealthCheck(registry(Map.of("local", 1))).call();

        assertEquals(HealthCheckResponse.Status.UP, response.getStatus());
        Map<String, Object> data = response.getData().orElseThrow();
        assertEquals("off", data.get("redis"));
        assertEquals("up", data.get("local"));
        assertEquals("local", data.get("durable"));
    }
}
