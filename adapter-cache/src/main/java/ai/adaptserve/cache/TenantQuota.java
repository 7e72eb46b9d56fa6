package ai.adaptserve.cache;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code quota.max-bytes-per-tenant}: the bytes of adapters each tenant has created in the durable tier. Counted in
 * Redis ({@code <tenant>:as:quota-bytes}, {@code INCRBY} on each create: one count for the fleet) when Redis is
 * configured and answering, else in this instance's memory (each instance then counts only what it wrote, since it
 * started). The count only grows: entries removed by the bucket's lifecycle rule or the local sweep are not
 * subtracted (reset the key to give a tenant room again). Keys without a tenant are not counted.
 */
final class TenantQuota {

    private static final System.Logger LOG = System.getLogger(TenantQuota.class.getName());

    private final long limit;
    private final RedisTier redis;
    private final TierHealth redisHealth;
    private final Map<String, AtomicLong> local = new ConcurrentHashMap<>();

    /** {@code redis} and {@code redisHealth} are null without Redis. */
    TenantQuota(long limit, RedisTier redis, TierHealth redisHealth) {
        this.limit = limit;
        this.redis = redis;
        this.redisHealth = redisHealth;
    }

    static String counterKey(String tenant) {
        return tenant + ":as:quota-bytes";
    }

    /** Refuses a new training of {@code key} if its tenant is at or over its quota. */
    void check(AdapterKey key, CacheMetrics metrics) {
        if (limit <= 0 || key.tenant().isEmpty()) {
            return;
        }
        long used = used(key.tenant().get());
        if (used >= limit) {
            metrics.trainingRejected("quota");
            throw new AdapterCacheException.QuotaExceeded(
                    key,
                    "tenant " + key.tenant().get() + " stores " + used + " bytes of adapters, at or over its quota ("
                            + limit + " bytes, quota.max-bytes-per-tenant)",
                    limit);
        }
    }

    /** Counts {@code bytes} just created for {@code key}'s tenant. */
    void add(AdapterKey key, long bytes) {
        if (limit <= 0 || key.tenant().isEmpty()) {
            return;
        }
        String tenant = key.tenant().get();
        local.computeIfAbsent(tenant, t -> new AtomicLong()).addAndGet(bytes);
        if (redis != null && redisHealth.available()) {
            try {
                redis.call(Request.cmd(Command.INCRBY).arg(counterKey(tenant)).arg(bytes));
            } catch (TierUnavailableException e) {
                redisHealth.failure("quota", e);
            }
        }
    }

    private long used(String tenant) {
        long here = Optional.ofNullable(local.get(tenant)).map(AtomicLong::get).orElse(0L);
        if (redis != null && redisHealth.available()) {
            try {
                Response r = redis.call(Request.cmd(Command.GET).arg(counterKey(tenant)));
                return r == null ? here : Math.max(here, Long.parseLong(r.toString()));
            } catch (TierUnavailableException e) {
                redisHealth.failure("quota", e);
            } catch (NumberFormatException e) {
                LOG.log(Level.WARNING, "adapter cache: {0} is not a number; counting locally", counterKey(tenant));
            }
        }
        return here;
    }
}
