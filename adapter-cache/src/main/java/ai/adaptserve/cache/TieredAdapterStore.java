package ai.adaptserve.cache;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@link AdapterStore}: memory (Caffeine), Redis (optional), and one durable tier — S3 if configured, else a local
 * directory.
 *
 * <p>This class builds the store and answers its interface; the work is done by package-private parts, one job each:
 *
 * <ul>
 *   <li>{@link TierPath} — the order of the tiers for reads (memory → Redis → durable tier, promoting what it finds)
 *       and writes (durable tier → Redis → memory); {@link MemoryTier} and {@link RemoteTiers} — one tier call each,
 *       behind its {@link TierHealth}, verified and metered;
 *   <li>{@link SingleFlight} — one flight per key per instance and, with Redis or S3, one training per key across the
 *       fleet under the {@link FleetTrainingLock} and the {@link S3TrainingLease} (renewed while held); {@link
 *       Trainings} — running a trainer;
 *   <li>{@link WriteBehind} — adapters waiting for a durable tier that is down, and their background flush;
 *   <li>{@link CacheRuntime} — the threads and the Vert.x instance, made and stopped in one place.
 * </ul>
 */
public final class TieredAdapterStore implements AdapterStore {

    private static final System.Logger LOG = System.getLogger(TieredAdapterStore.class.getName());

    private final AdapterCacheConfig config;
    private final String instanceId;
    private final CacheRuntime runtime;
    private final MemoryTier memory;
    private final RemoteTiers remote;
    private final WriteBehind writeBehind;
    private final TierPath tiers;
    private final SingleFlight flights;
    private final Optional<EntryMac> mac;

    private TieredAdapterStore(Builder b) {
        this.config = b.config;
        this.instanceId = b.instanceId;
        CacheMetrics metrics = new CacheMetrics(b.registry);
        this.runtime =
                new CacheRuntime(b.vertx, b.trainingExecutor, config.redis().isPresent());

        DurableTier durable =
                config.s3().<DurableTier>map(S3Tier::new).orElseGet(() -> new LocalDirectoryTier(config.local()));
        Duration durableRetry =
                config.s3().map(AdapterCacheConfig.S3::retryInterval).orElse(Duration.ofSeconds(1));
        RedisTier redis =
                config.redis().map(r -> new RedisTier(runtime.vertx(), r)).orElse(null);
        TierHealth redisHealth = redis == null
                ? null
                : new TierHealth(
                        "redis",
                        "memory and " + durable.source().wireName(),
                        config.redis().get().retryInterval(),
                        metrics,
                        redis::ping,
                        runtime::runLater);
        TierHealth durableHealth = new TierHealth(
                durable.source().wireName(),
                redis != null ? "memory and redis" : "memory",
                durableRetry,
                metrics,
                durable::probe,
                runtime::runLater);

        this.memory = new MemoryTier(config.memory().maxBytes(), b.decoder, metrics);
        TenantQuota quota = new TenantQuota(config.tenantQuotaBytes(), redis, redisHealth);
        this.remote = new RemoteTiers(config, metrics, redis, redisHealth, durable, durableHealth, quota);
        this.writeBehind = new WriteBehind(config.writeBehind(), durableRetry, durableHealth, remote, runtime, metrics);
        this.tiers = new TierPath(memory, remote, writeBehind, metrics);
        this.flights = new SingleFlight(
                config,
                tiers,
                new Trainings(config, tiers, runtime, metrics, instanceId),
                new TrainingQueue(b.trainingLimits, metrics),
                quota,
                redis == null
                        ? null
                        : new FleetTrainingLock(redis, config.lock().ttl(), instanceId),
                redis == null ? null : new ReadyNotifier(runtime.vertx(), redis),
                redisHealth,
                durable instanceof S3Tier s3
                        ? new S3TrainingLease(s3, config.lock().ttl(), instanceId)
                        : null,
                durableHealth,
                runtime,
                metrics);
        this.mac = config.hmacKey().map(k -> new EntryMac(k.secret()));
        LOG.log(
                Level.INFO,
                "adapter cache {0}: memory {1} bytes, redis {2}, durable tier {3}; stored entries {4}",
                instanceId,
                config.memory().maxBytes(),
                config.redis().map(r -> "on").orElse("off"),
                config.s3()
                        .map(s -> "s3://" + s.bucket() + "/" + s.prefix())
                        .orElse(config.local().dir().toString()),
                mac.isPresent()
                        ? "authenticated with HMAC-SHA256 (hmac-key)"
                        : "only checksummed (no hmac-key: whoever can write to Redis or S3 can plant an adapter)");
    }

    /** Starts a store with {@code config}. */
    public static Builder builder(AdapterCacheConfig config) {
        return new Builder(config);
    }

    /** Options of a store beyond its configuration. */
    public static final class Builder {
        private final AdapterCacheConfig config;
        private MeterRegistry registry;
        private Vertx vertx;
        private ExecutorService trainingExecutor;
        private String instanceId;
        private AdapterDecoder<?> decoder;
        private TrainingLimits trainingLimits = TrainingLimits.unbounded();

        private Builder(AdapterCacheConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** Where the metrics go (default: a private {@link SimpleMeterRegistry}). */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** The Vert.x instance for the Redis client (default: a small one owned and closed by the store). */
        public Builder vertx(Vertx vertx) {
            this.vertx = Objects.requireNonNull(vertx, "vertx");
            return this;
        }

        /** Where trainers run (default: a cached pool of daemon threads owned by the store). */
        public Builder trainingExecutor(ExecutorService executor) {
            this.trainingExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** This instance's name in lock values and logs (default: {@code $HOSTNAME-<pid>-<random>}). */
        public Builder instanceId(String instanceId) {
            this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
            return this;
        }

        /**
         * What the memory tier keeps adapters as (default: none, they are kept as stored). With a decoder, each adapter
         * is held once, decoded and weighed by the decoder; results carry the decoded value ({@link
         * StoredAdapter#decoded}) instead of the payload bytes.
         */
        public Builder decoder(AdapterDecoder<?> decoder) {
            this.decoder = Objects.requireNonNull(decoder, "decoder");
            return this;
        }

        /** How many trainings run and wait on this instance (default: {@link TrainingLimits#unbounded()}). */
        public Builder trainingLimits(TrainingLimits limits) {
            this.trainingLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        public TieredAdapterStore build() {
            if (registry == null) {
                registry = new SimpleMeterRegistry();
            }
            if (instanceId == null) {
                String host = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("local");
                instanceId = host + "-" + ProcessHandle.current().pid() + "-"
                        + HexFormat.of()
                                .toHexDigits(ThreadLocalRandom.current().nextInt())
                                .substring(0, 6);
            }
            return new TieredAdapterStore(this);
        }
    }

    @Override
    public Optional<AdapterResult> get(AdapterKey key) {
        Objects.requireNonNull(key, "key");
        requireOpen(key);
        Optional<AdapterResult> local = tiers.lookupLocal(key);
        return local.isPresent() ? local : tiers.findRemote(key);
    }

    @Override
    public AdapterResult getOrCreate(AdapterKey key, AdapterTrainer trainer, Duration timeout) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(timeout, "timeout");
        requireOpen(key);
        Optional<AdapterResult> local = tiers.lookupLocal(key);
        return local.isPresent() ? local.get() : flights.await(key, trainer, timeout);
    }

    @Override
    public CompletableFuture<AdapterResult> getOrCreateAsync(AdapterKey key, AdapterTrainer trainer) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(trainer, "trainer");
        requireOpen(key);
        Optional<AdapterResult> local = tiers.lookupLocal(key);
        return local.isPresent()
                ? CompletableFuture.completedFuture(local.get())
                : flights.join(key, trainer).copy();
    }

    @Override
    public AdapterListing list(Optional<String> tenant, String baseFingerprint, int max) {
        AdapterKey.requireFingerprint(Objects.requireNonNull(baseFingerprint, "baseFingerprint"));
        tenant.ifPresent(AdapterKey::requireTenant);
        if (max < 0) {
            throw new IllegalArgumentException("max must be >= 0, got " + max);
        }
        return remote.listDurable(tenant, baseFingerprint, max);
    }

    @Override
    public AdapterResult put(AdapterKey key, TrainedAdapter adapter) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(adapter, "adapter");
        requireOpen(key);
        if (adapter.payload().length > config.maxAdapterBytes()) {
            throw new IllegalArgumentException("adapter of " + adapter.payload().length
                    + " bytes is larger than max-adapter-bytes (" + config.maxAdapterBytes() + ")");
        }
        return tiers.persist(AdapterEnvelope.encode(key, adapter, Instant.now(), 0, mac), 0);
    }

    private void requireOpen(AdapterKey key) {
        if (runtime.closed()) {
            throw new AdapterCacheException.Interrupted(key, "the adapter store is closed", null);
        }
    }

    /** The configuration this store runs with. */
    public AdapterCacheConfig config() {
        return config;
    }

    /** This instance's name in lock values and logs. */
    public String instanceId() {
        return instanceId;
    }

    /** Number of adapters waiting for the durable tier. */
    public int pendingDurableCount() {
        return writeBehind.size();
    }

    /** Runs pending memory-tier maintenance (evictions) now; for tests and tools. */
    void cleanUpMemory() {
        memory.cleanUp();
    }

    MemoryTier memoryTier() {
        return memory;
    }

    /** For tests: how many flights are in progress. */
    int flightsInProgress() {
        return flights.inProgress();
    }

    @Override
    public void close() {
        if (!runtime.markClosed()) {
            return;
        }
        writeBehind.dropAll();
        runtime.stopThreads();
        flights.close();
        remote.close();
        runtime.stopVertx();
    }
}
