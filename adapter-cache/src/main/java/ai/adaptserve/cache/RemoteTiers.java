package ai.adaptserve.cache;

import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One call at a time to Redis (optional) or the durable tier, each behind its {@link TierHealth}: a call to a tier that
 * is down is skipped, a failed call marks it down, and nothing is thrown. Bytes read are verified
 * ({@link AdapterEnvelope#decode}); a bad entry is counted, deleted and treated as a miss. Every call is metered.
 *
 * <p>The order of the tiers is not decided here: see {@link TierPath} and {@link WriteBehind}.
 */
final class RemoteTiers implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RemoteTiers.class.getName());

    private final AdapterCacheConfig config;
    private final CacheMetrics metrics;
    private final RedisTier redis;
    private final TierHealth redisHealth;
    private final DurableTier durable;
    private final TierHealth durableHealth;
    private final long maxEnvelopeBytes;

    /** {@code redis} and {@code redisHealth} are null without Redis. */
    RemoteTiers(
            AdapterCacheConfig config,
            CacheMetrics metrics,
            RedisTier redis,
            TierHealth redisHealth,
            DurableTier durable,
            TierHealth durableHealth) {
        this.config = config;
        this.metrics = metrics;
        this.redis = redis;
        this.redisHealth = redisHealth;
        this.durable = durable;
        this.durableHealth = durableHealth;
        this.maxEnvelopeBytes = config.maxAdapterBytes() + AdapterEnvelope.MAX_HEADER + AdapterEnvelope.FIXED_OVERHEAD;
    }

    /** Whether Redis is configured and currently considered available. */
    boolean redisUp() {
        return redis != null && redisHealth.available();
    }

    boolean durableUp() {
        return durableHealth.available();
    }

    AdapterSource durableSource() {
        return durable.source();
    }

    // ---------------------------------------------------------------------------------------------------- reads

    /** The announced entry ({@code pending} false) or the not-yet-durable one ({@code pending} true) of {@code key}. */
    Optional<StoredAdapter> readRedis(AdapterKey key, boolean pending) {
        long start = System.nanoTime();
        try {
            Optional<byte[]> bytes = pending ? redis.getPending(key) : redis.get(key);
            redisHealth.success();
            if (bytes.isEmpty()) {
                if (!pending) {
                    metrics.miss(AdapterSource.REDIS, System.nanoTime() - start);
                }
                return Optional.empty();
            }
            return Optional.of(verified(AdapterSource.REDIS, bytes.get(), key, start));
        } catch (BadEntryException e) {
            metrics.miss(AdapterSource.REDIS, System.nanoTime() - start);
            badEntry(AdapterSource.REDIS, key, pending ? RedisTier.pendingKey(key) : RedisTier.dataKey(key), e, () -> {
                if (pending) {
                    redis.deletePending(key);
                } else {
                    redis.delete(key);
                }
            });
            return Optional.empty();
        } catch (TierUnavailableException e) {
            redisHealth.failure(pending ? "get-pending" : "get", e);
            return Optional.empty();
        }
    }

    Optional<StoredAdapter> readDurable(AdapterKey key) {
        AdapterSource tier = durable.source();
        long start = System.nanoTime();
        try {
            Optional<byte[]> bytes = durable.get(key, maxEnvelopeBytes);
            durableHealth.success();
            if (bytes.isEmpty()) {
                metrics.miss(tier, System.nanoTime() - start);
                return Optional.empty();
            }
            return Optional.of(verified(tier, bytes.get(), key, start));
        } catch (BadEntryException e) {
            metrics.miss(tier, System.nanoTime() - start);
            badEntry(tier, key, durable.location(key), e, () -> durable.delete(key));
            return Optional.empty();
        } catch (TierUnavailableException e) {
            durableHealth.failure("get", e);
            return Optional.empty();
        }
    }

    private StoredAdapter verified(AdapterSource tier, byte[] bytes, AdapterKey key, long start)
            throws BadEntryException {
        StoredAdapter adapter = AdapterEnvelope.decode(bytes, key, config.maxAdapterBytes(), config.verifySha256());
        metrics.hit(tier, bytes.length, System.nanoTime() - start);
        return adapter;
    }

    /** One call to a tier. */
    private interface TierCall {
        void run() throws TierUnavailableException;
    }

    private void badEntry(AdapterSource tier, AdapterKey key, String location, BadEntryException e, TierCall delete) {
        metrics.badEntry(tier, e.reason());
        if (!e.deletable()) {
            LOG.log(
                    Level.WARNING,
                    "adapter cache: {0} holds an entry for {1} this version cannot read ({2}); left in place, treated"
                            + " as a miss",
                    location,
                    key.qualifiedId(),
                    e.getMessage());
            return;
        }
        LOG.log(
                Level.WARNING,
                "adapter cache: bad entry at {0} ({1}); deleting it, treated as a miss",
                location,
                e.getMessage());
        try {
            delete.run();
        } catch (TierUnavailableException d) {
            (tier == AdapterSource.REDIS ? redisHealth : durableHealth).failure("delete", d);
        }
    }

    // --------------------------------------------------------------------------------------------------- writes

    /** Copies an adapter read from the durable tier into Redis, in the background, if it fits. */
    void promoteToRedis(StoredAdapter adapter) {
        if (!redisUp()) {
            return;
        }
        if (!redis.fits(adapter)) {
            metrics.writeSkipped(AdapterSource.REDIS);
            return;
        }
        redis.promote(adapter)
                .toCompletableFuture()
                .orTimeout(redis.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, failure) -> {
                    if (failure == null) {
                        metrics.written(AdapterSource.REDIS, adapter.storedLength());
                    } else {
                        metrics.writeFailed(AdapterSource.REDIS);
                        redisHealth.failure("promote", Await.unwrap(failure));
                    }
                });
    }

    /** Writes {@code adapter} to the durable tier; false if the tier is down or the write failed. */
    boolean writeDurable(StoredAdapter adapter) {
        if (!durableHealth.available()) {
            return false;
        }
        try {
            durable.put(adapter.key(), adapter.envelope());
            durableHealth.success();
            metrics.written(durable.source(), adapter.storedLength());
            return true;
        } catch (TierUnavailableException e) {
            metrics.writeFailed(durable.source());
            durableHealth.failure("put", e);
            return false;
        }
    }

    /**
     * Writes a queued adapter to the durable tier unless it is there already (another instance may have written it);
     * false if the tier failed. Tried even while the tier is marked down: this is the write-behind retry.
     */
    boolean writeDurableIfAbsent(StoredAdapter adapter) {
        try {
            if (!durable.exists(adapter.key())) {
                durable.put(adapter.key(), adapter.envelope());
                metrics.written(durable.source(), adapter.storedLength());
            }
            durableHealth.success();
            return true;
        } catch (TierUnavailableException e) {
            durableHealth.failure("write-behind", e);
            return false;
        }
    }

    /** Makes a durable adapter visible to the fleet through Redis (see {@link RedisTier#announce}). */
    void announce(StoredAdapter adapter) {
        if (!redisUp()) {
            return;
        }
        if (!onRedis("announce", () -> redis.announce(adapter))) {
            metrics.writeFailed(AdapterSource.REDIS);
        } else if (redis.fits(adapter)) {
            metrics.written(AdapterSource.REDIS, adapter.storedLength());
        } else {
            metrics.writeSkipped(AdapterSource.REDIS);
        }
    }

    /** Shares an adapter that is not durable yet through Redis (see {@link RedisTier#sharePending}). */
    void sharePending(StoredAdapter adapter) {
        if (redisUp()) {
            onRedis("share-pending", () -> redis.sharePending(adapter));
        }
    }

    /** Runs {@code call}, telling Redis's health how it went; true if it succeeded. */
    private boolean onRedis(String op, TierCall call) {
        try {
            call.run();
            redisHealth.success();
            return true;
        } catch (TierUnavailableException e) {
            redisHealth.failure(op, e);
            return false;
        }
    }

    @Override
    public void close() {
        if (redis != null) {
            redis.close();
        }
        durable.close();
    }
}
