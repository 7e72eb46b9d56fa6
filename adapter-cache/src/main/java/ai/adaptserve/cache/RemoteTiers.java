package ai.adaptserve.cache;

import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One call at a time to Redis (optional) or the durable tier, each behind its {@link TierHealth}: a call to a tier that
 * is down is skipped, a failed call marks it down, and nothing is thrown. Bytes read are verified
 * ({@link AdapterEnvelope#decode}, with the HMAC when a key is configured); a corrupt entry is counted, deleted from
 * that tier and treated as a miss, any other bad entry is counted and left in place. Writes never replace an entry
 * (create-only on every tier). Every call is metered.
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
    private final Optional<EntryMac> mac;
    private final TenantQuota quota;

    /** {@code redis} and {@code redisHealth} are null without Redis. */
    RemoteTiers(
            AdapterCacheConfig config,
            CacheMetrics metrics,
            RedisTier redis,
            TierHealth redisHealth,
            DurableTier durable,
            TierHealth durableHealth,
            TenantQuota quota) {
        this.quota = quota;
        this.config = config;
        this.metrics = metrics;
        this.redis = redis;
        this.redisHealth = redisHealth;
        this.durable = durable;
        this.durableHealth = durableHealth;
        this.maxEnvelopeBytes = config.maxAdapterBytes()
                + AdapterEnvelope.MAX_HEADER
                + AdapterEnvelope.FIXED_OVERHEAD
                + AdapterEnvelope.MAC_BYTES;
        this.mac = config.hmacKey().map(k -> new EntryMac(k.secret()));
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
    TierRead readRedis(AdapterKey key, boolean pending) {
        if (!redisUp()) {
            return new TierRead.Down("redis is unavailable");
        }
        long start = System.nanoTime();
        try {
            Optional<byte[]> bytes = pending ? redis.getPending(key) : redis.get(key);
            redisHealth.success();
            if (bytes.isEmpty()) {
                if (!pending) {
                    metrics.miss(AdapterSource.REDIS, System.nanoTime() - start);
                }
                return TierRead.MISS;
            }
            return new TierRead.Hit(verified(AdapterSource.REDIS, bytes.get(), key, start));
        } catch (BadEntryException e) {
            metrics.miss(AdapterSource.REDIS, System.nanoTime() - start);
            return badEntry(
                    AdapterSource.REDIS, key, pending ? RedisTier.pendingKey(key) : RedisTier.dataKey(key), e, () -> {
                        if (pending) {
                            redis.deletePending(key);
                        } else {
                            redis.delete(key);
                        }
                    });
        } catch (TierUnavailableException e) {
            redisHealth.failure(pending ? "get-pending" : "get", e);
            return new TierRead.Down(e.getMessage());
        }
    }

    /** The durable tier's listing, or why it could not be asked (down, or timed out). */
    AdapterListing listDurable(Optional<String> tenant, String baseFingerprint, int max) {
        if (!durableUp()) {
            return new AdapterListing.Unavailable(durable.source().wireName() + " is unavailable");
        }
        try {
            AdapterListing.Listed listed = durable.list(tenant, baseFingerprint, max);
            durableHealth.success();
            return listed;
        } catch (TierUnavailableException e) {
            durableHealth.failure("list", e);
            return new AdapterListing.Unavailable(e.getMessage());
        }
    }

    TierRead readDurable(AdapterKey key) {
        AdapterSource tier = durable.source();
        if (!durableUp()) {
            return new TierRead.Down(tier.wireName() + " is unavailable");
        }
        long start = System.nanoTime();
        try {
            Optional<byte[]> bytes = durable.get(key, maxEnvelopeBytes);
            durableHealth.success();
            if (bytes.isEmpty()) {
                metrics.miss(tier, System.nanoTime() - start);
                return TierRead.MISS;
            }
            durable.touch(key);
            return new TierRead.Hit(verified(tier, bytes.get(), key, start));
        } catch (BadEntryException e) {
            metrics.miss(tier, System.nanoTime() - start);
            return badEntry(tier, key, durable.location(key), e, () -> durable.delete(key));
        } catch (TierUnavailableException e) {
            durableHealth.failure("get", e);
            return new TierRead.Down(e.getMessage());
        }
    }

    private StoredAdapter verified(AdapterSource tier, byte[] bytes, AdapterKey key, long start)
            throws BadEntryException {
        StoredAdapter adapter =
                AdapterEnvelope.decode(bytes, key, config.maxAdapterBytes(), config.verifySha256(), mac);
        metrics.hit(tier, bytes.length, System.nanoTime() - start);
        return adapter;
    }

    /** One call to a tier. */
    private interface TierCall {
        void run() throws TierUnavailableException;
    }

    /**
     * Only corruption is deleted, and only from the tier it was read from (the other tiers are checked on their own
     * reads). An entry too large for this instance's limit, of a newer format, or with a MAC this instance's key does
     * not produce may be fine for another instance: it is refused here and left in place.
     */
    private TierRead badEntry(
            AdapterSource tier, AdapterKey key, String location, BadEntryException e, TierCall delete) {
        metrics.badEntry(tier, e.reason());
        if (!e.deletable()) {
            LOG.log(
                    Level.WARNING,
                    "adapter cache: {0} holds an entry for {1} this instance does not use ({2}); left in place",
                    location,
                    key.qualifiedId(),
                    e.getMessage());
            return new TierRead.Refused(e.kind(), e.getMessage());
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
        return TierRead.MISS;
    }

    // --------------------------------------------------------------------------------------------------- writes

    /** Copies an adapter read from the durable tier into Redis, in the background, if it fits. */
    void promoteToRedis(StoredAdapter adapter) {
        // SET NX: never replaces what another instance announced.
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

    /** What a create-only write to the durable tier did. */
    enum Created {
        /** This write created the entry. */
        CREATED,
        /** An entry was there already (another instance, or an earlier write, won): nothing was written. */
        EXISTS,
        /** The tier is down or the write failed. */
        DOWN
    }

    /**
     * Writes {@code adapter} to the durable tier unless an entry is there: never replaces one, so that every tier ends
     * up with the bytes of the first writer.
     *
     * @param evenIfDown try even while the tier is marked down (the write-behind retry)
     */
    Created createDurable(StoredAdapter adapter, boolean evenIfDown) {
        if (!evenIfDown && !durableHealth.available()) {
            return Created.DOWN;
        }
        try {
            boolean created = durable.create(adapter.key(), adapter.envelope());
            durableHealth.success();
            if (created) {
                metrics.written(durable.source(), adapter.storedLength());
                quota.add(adapter.key(), adapter.storedLength());
                return Created.CREATED;
            }
            metrics.writeSkipped(durable.source());
            return Created.EXISTS;
        } catch (TierUnavailableException e) {
            metrics.writeFailed(durable.source());
            durableHealth.failure(evenIfDown ? "write-behind" : "put", e);
            return Created.DOWN;
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
