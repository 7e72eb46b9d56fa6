package ai.adaptserve.cache;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.Optional;

/**
 * A lock per adapter key in Redis, so that the fleet trains each adapter once.
 *
 * <ul>
 *   <li>Acquire (one Lua script, atomic): if {@code as:lock:<id>} holds this instance's value, the same lease again
 *       (retries are idempotent); if it holds another's, fail; else {@code INCR as:fence} gives a fencing token, and
 *       {@code SET as:lock:<id> "<token>:<instance>" PX ttl}.
 *   <li>Renew: {@code PEXPIRE} only if the value is still ours (compare-and-expire). The holder renews every third of
 *       the TTL while it trains; if it dies, renewals stop and the lock expires.
 *   <li>Release: {@code DEL} only if the value is still ours (compare-and-delete), then {@code PUBLISH as:ready}, so
 *       that waiters look again at once.
 * </ul>
 *
 * <p>The token is unique and increasing; a holder that stalled past its TTL can neither renew nor release its
 * successor's lock. A holder checks it still holds the lock ({@link #holds}) before it writes, and abandons its
 * training otherwise; if a stale write slips through anyway, every write is create-only, so the first entry stays.
 */
final class FleetTrainingLock {

    // Idempotent: a retry by the same instance (its first call timed out on the client but ran in Redis) gets its own
    // lease back instead of counting as a second holder that would wait for itself until the lock expires.
    private static final String ACQUIRE = """
            local held = redis.call('GET', KEYS[1])
            if held then
              local sep = string.find(held, ':', 1, true)
              if sep and string.sub(held, sep + 1) == ARGV[2] then
                redis.call('PEXPIRE', KEYS[1], ARGV[1])
                return tonumber(string.sub(held, 1, sep - 1))
              end
              return false
            end
            local token = redis.call('INCR', KEYS[2])
            redis.call('SET', KEYS[1], token .. ':' .. ARGV[2], 'PX', ARGV[1])
            return token
            """;
    private static final String RENEW = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            return 0
            """;
    private static final String RELEASE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('DEL', KEYS[1])
              redis.call('PUBLISH', ARGV[2], ARGV[3])
              return 1
            end
            return 0
            """;

    /** A held lock. */
    record Lease(AdapterKey key, long token, String value) {}

    private final RedisTier redis;
    private final Duration ttl;
    private final String instanceId;

    FleetTrainingLock(RedisTier redis, Duration ttl, String instanceId) {
        this.redis = redis;
        this.ttl = ttl;
        this.instanceId = instanceId;
    }

    Duration ttl() {
        return ttl;
    }

    /** The lease, or empty if another holder has the lock. */
    Optional<Lease> tryAcquire(AdapterKey key) throws TierUnavailableException {
        Response r = redis.call(Request.cmd(Command.EVAL)
                .arg(ACQUIRE)
                .arg(2)
                .arg(RedisTier.lockKey(key))
                .arg(RedisTier.FENCE_KEY)
                .arg(ttl.toMillis())
                .arg(instanceId));
        if (r == null) {
            return Optional.empty();
        }
        long token = r.toLong();
        return Optional.of(new Lease(key, token, token + ":" + instanceId));
    }

    /** Whether the lock still holds {@code lease}'s value. */
    boolean holds(Lease lease) throws TierUnavailableException {
        Response r = redis.call(Request.cmd(Command.GET).arg(RedisTier.lockKey(lease.key())));
        return r != null && lease.value().equals(r.toString());
    }

    /** Extends the lease; false if the lock is no longer ours. */
    boolean renew(Lease lease) throws TierUnavailableException {
        Response r = redis.call(Request.cmd(Command.EVAL)
                .arg(RENEW)
                .arg(1)
                .arg(RedisTier.lockKey(lease.key()))
                .arg(lease.value())
                .arg(ttl.toMillis()));
        return r != null && r.toLong() == 1;
    }

    /** Frees the lock if it is still ours and tells waiters; false if it was not ours any more. */
    boolean release(Lease lease) throws TierUnavailableException {
        Response r = redis.call(Request.cmd(Command.EVAL)
                .arg(RELEASE)
                .arg(1)
                .arg(RedisTier.lockKey(lease.key()))
                .arg(lease.value())
                .arg(RedisTier.READY_CHANNEL)
                .arg(lease.key().qualifiedId()));
        return r != null && r.toLong() == 1;
    }
}
