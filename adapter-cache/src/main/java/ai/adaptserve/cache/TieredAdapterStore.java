package ai.adaptserve.cache;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link AdapterStore}: memory (Caffeine), Redis (optional), and one durable tier — S3 if configured, else a local
 * directory.
 *
 * <h2>Reads</h2>
 *
 * memory → Redis {@code as:adapter:<id>} → durable tier → Redis {@code as:pending:<id>}. A hit in Redis is copied to
 * memory; a hit in the durable tier is copied to Redis (in the background, if it fits) and memory.
 *
 * <h2>Writes</h2>
 *
 * Durable tier first, then Redis ({@code SET}, pipelined with the ready notification), then memory. If the durable
 * tier is down, the adapter is kept in a bounded write-behind queue and shared through {@code as:pending:<id>} (so the
 * fleet still trains it once), is <em>not</em> announced as durable, and is written by a background retry when the
 * tier is back; only then is it announced.
 *
 * <h2>Train once</h2>
 *
 * Per instance, concurrent {@code getOrCreate} calls for a key share one in-flight future (a single flight). Across
 * instances, the flight takes the {@link FleetTrainingLock}; instances that find it taken wait for the ready
 * notification (or poll with back-off), then read the adapter. If the holder dies its lock expires and a waiter takes
 * over. Without Redis (or while it is down) training is single-flight per instance only.
 */
public final class TieredAdapterStore implements AdapterStore {

    private static final System.Logger LOG = System.getLogger(TieredAdapterStore.class.getName());

    private final AdapterCacheConfig config;
    private final CacheMetrics metrics;
    private final MemoryTier memory;
    private final RedisTier redis;
    private final TierHealth redisHealth;
    private final FleetTrainingLock lock;
    private final ReadyNotifier notifier;
    private final DurableTier durable;
    private final TierHealth durableHealth;
    private final Duration durableRetry;
    private final WriteBehindQueue writeBehind;
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final ReentrantLock flushing = new ReentrantLock();
    private volatile long flushDelayMillis;
    private final Map<String, CompletableFuture<AdapterResult>> flights = new ConcurrentHashMap<>();
    private final ExecutorService flightExecutor;
    private final ExecutorService background;
    private final ExecutorService trainingExecutor;
    private final boolean ownsTrainingExecutor;
    private final ScheduledExecutorService scheduler;
    private final Vertx vertx;
    private final boolean ownsVertx;
    private final String instanceId;
    private final long maxEnvelopeBytes;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TieredAdapterStore(Builder b) {
        this.config = b.config;
        this.metrics = new CacheMetrics(b.registry);
        this.instanceId = b.instanceId;
        this.maxEnvelopeBytes = config.maxAdapterBytes() + AdapterEnvelope.MAX_HEADER + AdapterEnvelope.FIXED_OVERHEAD;
        this.memory = new MemoryTier(config.memory().maxBytes(), metrics);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("adapter-cache-scheduler").factory());
        this.flightExecutor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("adapter-flight-", 0).factory());
        this.background = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("adapter-cache-background-", 0).factory());
        this.ownsTrainingExecutor = b.trainingExecutor == null;
        this.trainingExecutor = b.trainingExecutor != null
                ? b.trainingExecutor
                : Executors.newCachedThreadPool(
                        Thread.ofPlatform().daemon().name("adapter-train-", 0).factory());

        if (config.s3().isPresent()) {
            this.durable = new S3Tier(config.s3().get());
            this.durableRetry = config.s3().get().retryInterval();
        } else {
            this.durable = new LocalDirectoryTier(config.local().dir());
            this.durableRetry = Duration.ofSeconds(1);
        }
        String durableName = durable.source().wireName();
        this.writeBehind = new WriteBehindQueue(config.writeBehind().maxBytes());
        this.flushDelayMillis = durableRetry.toMillis();

        if (config.redis().isPresent()) {
            this.ownsVertx = b.vertx == null;
            this.vertx = b.vertx != null
                    ? b.vertx
                    : Vertx.vertx(new VertxOptions()
                            .setEventLoopPoolSize(2)
                            .setWorkerPoolSize(1)
                            .setInternalBlockingPoolSize(1)
                            .setFileSystemOptions(new FileSystemOptions()
                                    .setFileCachingEnabled(false)
                                    .setClassPathResolvingEnabled(false)));
            this.redis = new RedisTier(vertx, config.redis().get());
            this.redisHealth = new TierHealth(
                    "redis",
                    "memory and " + durableName,
                    config.redis().get().retryInterval(),
                    metrics,
                    redis::ping,
                    this::runLater);
            this.lock = new FleetTrainingLock(redis, config.lock().ttl(), instanceId);
            this.notifier = new ReadyNotifier(vertx, redis);
        } else {
            this.ownsVertx = false;
            this.vertx = null;
            this.redis = null;
            this.redisHealth = null;
            this.lock = null;
            this.notifier = null;
        }
        this.durableHealth = new TierHealth(
                durableName,
                redis != null ? "memory and redis" : "memory",
                durableRetry,
                metrics,
                durable::probe,
                this::runLater);
        durableHealth.onRecovery(() -> {
            flushDelayMillis = durableRetry.toMillis();
            flushWriteBehind();
        });
        metrics.gauge(
                CacheMetrics.WRITE_BEHIND_PENDING,
                "Adapters waiting to be written to the durable tier",
                writeBehind::size);
        metrics.gauge(
                CacheMetrics.WRITE_BEHIND_BYTES,
                "Bytes of adapters waiting to be written to the durable tier",
                writeBehind::bytes);
        LOG.log(
                Level.INFO,
                "adapter cache {0}: memory {1} bytes, redis {2}, durable tier {3}",
                instanceId,
                config.memory().maxBytes(),
                config.redis().map(r -> "on").orElse("off"),
                config.s3()
                        .map(s -> "s3://" + s.bucket() + "/" + s.prefix())
                        .orElse(config.local().dir().toString()));
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

    // ---------------------------------------------------------------------------------------------------- reads

    @Override
    public Optional<AdapterResult> get(AdapterKey key) {
        Objects.requireNonNull(key, "key");
        requireOpen(key);
        Optional<AdapterResult> local = lookupLocal(key);
        return local.isPresent() ? local : lookupRemote(key);
    }

    /** Memory, then the write-behind queue; records memory hit/miss. */
    private Optional<AdapterResult> lookupLocal(AdapterKey key) {
        if (!memory.enabled() && writeBehind.isEmpty()) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        Optional<AdapterResult> found = peekLocal(key);
        if (found.isPresent()) {
            metrics.hit(AdapterSource.MEMORY, found.get().adapter().storedLength(), System.nanoTime() - start);
        } else if (memory.enabled()) {
            metrics.miss(AdapterSource.MEMORY, System.nanoTime() - start);
        }
        return found;
    }

    private Optional<AdapterResult> peekLocal(AdapterKey key) {
        Optional<StoredAdapter> cached = memory.get(key);
        if (cached.isPresent()) {
            return Optional.of(new AdapterResult(cached.get(), AdapterSource.MEMORY, 0, !writeBehind.contains(key)));
        }
        Optional<StoredAdapter> pending = writeBehind.get(key);
        if (pending.isPresent()) {
            memory.put(pending.get());
            return Optional.of(new AdapterResult(pending.get(), AdapterSource.MEMORY, 0, false));
        }
        return Optional.empty();
    }

    /** Redis, the durable tier, then Redis's not-yet-durable entries. */
    private Optional<AdapterResult> lookupRemote(AdapterKey key) {
        if (redis != null && redisHealth.available()) {
            Optional<StoredAdapter> hot = readRedis(key, false);
            if (hot.isPresent()) {
                memory.put(hot.get());
                return Optional.of(new AdapterResult(hot.get(), AdapterSource.REDIS, 0, true));
            }
        }
        if (durableHealth.available()) {
            Optional<StoredAdapter> stored = readDurable(key);
            if (stored.isPresent()) {
                promoteToRedis(stored.get());
                memory.put(stored.get());
                return Optional.of(new AdapterResult(stored.get(), durable.source(), 0, true));
            }
        }
        if (redis != null && redisHealth.available()) {
            Optional<StoredAdapter> pending = readRedis(key, true);
            if (pending.isPresent()) {
                // Trained elsewhere while the durable tier was down: serve it, and help make it durable.
                enqueueWriteBehind(pending.get());
                memory.put(pending.get());
                return Optional.of(new AdapterResult(pending.get(), AdapterSource.REDIS, 0, false));
            }
        }
        return Optional.empty();
    }

    private Optional<StoredAdapter> readRedis(AdapterKey key, boolean pending) {
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
            StoredAdapter adapter =
                    AdapterEnvelope.decode(bytes.get(), key, config.maxAdapterBytes(), config.verifySha256());
            metrics.hit(AdapterSource.REDIS, bytes.get().length, System.nanoTime() - start);
            return Optional.of(adapter);
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

    private Optional<StoredAdapter> readDurable(AdapterKey key) {
        AdapterSource tier = durable.source();
        long start = System.nanoTime();
        try {
            Optional<byte[]> bytes = durable.get(key, maxEnvelopeBytes);
            durableHealth.success();
            if (bytes.isEmpty()) {
                metrics.miss(tier, System.nanoTime() - start);
                return Optional.empty();
            }
            StoredAdapter adapter =
                    AdapterEnvelope.decode(bytes.get(), key, config.maxAdapterBytes(), config.verifySha256());
            metrics.hit(tier, bytes.get().length, System.nanoTime() - start);
            return Optional.of(adapter);
        } catch (BadEntryException e) {
            metrics.miss(tier, System.nanoTime() - start);
            badEntry(tier, key, durable.location(key), e, () -> durable.delete(key));
            return Optional.empty();
        } catch (TierUnavailableException e) {
            durableHealth.failure("get", e);
            return Optional.empty();
        }
    }

    private interface Deletion {
        void run() throws TierUnavailableException;
    }

    private void badEntry(AdapterSource tier, AdapterKey key, String location, BadEntryException e, Deletion delete) {
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

    private void promoteToRedis(StoredAdapter adapter) {
        if (redis == null || !redisHealth.available()) {
            return;
        }
        if (!redis.fits(adapter)) {
            metrics.writeSkipped(AdapterSource.REDIS);
            return;
        }
        redis.promote(adapter)
                .toCompletableFuture()
                .orTimeout(config.redis().orElseThrow().timeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, failure) -> {
                    if (failure == null) {
                        metrics.written(AdapterSource.REDIS, adapter.storedLength());
                    } else {
                        metrics.writeFailed(AdapterSource.REDIS);
                        redisHealth.failure("promote", Await.unwrap(failure));
                    }
                });
    }

    // --------------------------------------------------------------------------------------------------- writes

    @Override
    public AdapterResult put(AdapterKey key, TrainedAdapter adapter) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(adapter, "adapter");
        requireOpen(key);
        if (adapter.payload().length > config.maxAdapterBytes()) {
            throw new IllegalArgumentException("adapter of " + adapter.payload().length
                    + " bytes is larger than max-adapter-bytes (" + config.maxAdapterBytes() + ")");
        }
        return persist(AdapterEnvelope.encode(key, adapter, Instant.now(), 0), 0);
    }

    /** Durable tier, then Redis, then memory; or, with the durable tier down, write-behind + Redis pending. */
    private AdapterResult persist(StoredAdapter adapter, long trainMillis) {
        AdapterKey key = adapter.key();
        boolean isDurable = false;
        if (durableHealth.available()) {
            try {
                durable.put(key, adapter.envelope());
                durableHealth.success();
                metrics.written(durable.source(), adapter.storedLength());
                isDurable = true;
            } catch (TierUnavailableException e) {
                metrics.writeFailed(durable.source());
                durableHealth.failure("put", e);
            }
        }
        if (isDurable) {
            announce(adapter);
            memory.put(adapter);
            writeBehind.remove(adapter);
            return new AdapterResult(adapter, AdapterSource.TRAINED, trainMillis, true);
        }
        LOG.log(
                Level.WARNING,
                "adapter cache: {0} is not durable yet ({1} unavailable); kept in memory and retried in the background",
                key.qualifiedId(),
                durable.source().wireName());
        enqueueWriteBehind(adapter);
        sharePending(adapter);
        memory.put(adapter);
        return new AdapterResult(adapter, AdapterSource.TRAINED, trainMillis, false);
    }

    private void announce(StoredAdapter adapter) {
        if (redis == null || !redisHealth.available()) {
            return;
        }
        try {
            redis.announce(adapter);
            redisHealth.success();
            if (redis.fits(adapter)) {
                metrics.written(AdapterSource.REDIS, adapter.storedLength());
            } else {
                metrics.writeSkipped(AdapterSource.REDIS);
            }
        } catch (TierUnavailableException e) {
            metrics.writeFailed(AdapterSource.REDIS);
            redisHealth.failure("announce", e);
        }
    }

    private void sharePending(StoredAdapter adapter) {
        if (redis == null || !redisHealth.available()) {
            return;
        }
        try {
            redis.sharePending(adapter);
            redisHealth.success();
        } catch (TierUnavailableException e) {
            redisHealth.failure("share-pending", e);
        }
    }

    private void enqueueWriteBehind(StoredAdapter adapter) {
        List<StoredAdapter> dropped = writeBehind.add(adapter);
        for (StoredAdapter d : dropped) {
            metrics.writeBehindDropped();
            LOG.log(
                    Level.WARNING,
                    "adapter cache: write-behind queue full (write-behind.max-bytes); {0} will not be made durable",
                    d.key().qualifiedId());
        }
        scheduleFlush();
    }

    private void scheduleFlush() {
        if (closed.get() || writeBehind.isEmpty() || !flushScheduled.compareAndSet(false, true)) {
            return;
        }
        runLater(this::flushWriteBehind, flushDelayMillis);
    }

    /** Writes the queued adapters to the durable tier, oldest first; stops at the first failure and backs off. */
    private void flushWriteBehind() {
        if (!flushing.tryLock()) {
            return; // another flush is running; it reschedules itself if needed
        }
        try {
            flushScheduled.set(false);
            flushOnce();
        } finally {
            flushing.unlock();
        }
        scheduleFlush();
    }

    private void flushOnce() {
        boolean failed = false;
        for (StoredAdapter adapter : writeBehind.snapshot()) {
            if (closed.get()) {
                return;
            }
            try {
                if (!durable.exists(adapter.key())) {
                    durable.put(adapter.key(), adapter.envelope());
                    metrics.written(durable.source(), adapter.storedLength());
                }
                durableHealth.success();
            } catch (TierUnavailableException e) {
                durableHealth.failure("write-behind", e);
                failed = true;
                break;
            }
            writeBehind.remove(adapter);
            announce(adapter);
            LOG.log(
                    Level.INFO,
                    "adapter cache: {0} is durable now",
                    adapter.key().qualifiedId());
        }
        flushDelayMillis = failed
                ? Math.min(flushDelayMillis * 2, config.writeBehind().retryMax().toMillis())
                : durableRetry.toMillis();
    }

    // ------------------------------------------------------------------------------------------------ train once

    @Override
    public AdapterResult getOrCreate(AdapterKey key, AdapterTrainer trainer, Duration timeout) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(timeout, "timeout");
        requireOpen(key);
        Optional<AdapterResult> local = lookupLocal(key);
        if (local.isPresent()) {
            return local.get();
        }
        CompletableFuture<AdapterResult> flight = joinOrStartFlight(key, trainer);
        try {
            return flight.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AdapterCacheException.WaitTimedOut(key, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdapterCacheException.Interrupted(key, "interrupted while waiting for " + key.qualifiedId(), e);
        } catch (ExecutionException e) {
            throw rethrow(key, e.getCause());
        }
    }

    @Override
    public CompletableFuture<AdapterResult> getOrCreateAsync(AdapterKey key, AdapterTrainer trainer) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(trainer, "trainer");
        requireOpen(key);
        Optional<AdapterResult> local = lookupLocal(key);
        if (local.isPresent()) {
            return CompletableFuture.completedFuture(local.get());
        }
        return joinOrStartFlight(key, trainer).copy();
    }

    private static AdapterCacheException rethrow(AdapterKey key, Throwable cause) {
        // A fresh exception per waiter (the flight's exception is shared), with the original as cause.
        return switch (cause) {
            case AdapterCacheException.TrainingFailed f ->
                new AdapterCacheException.TrainingFailed(key, f.getMessage(), f.getCause() != null ? f.getCause() : f);
            case AdapterCacheException.Interrupted i -> new AdapterCacheException.Interrupted(key, i.getMessage(), i);
            case AdapterCacheException.WaitTimedOut w -> w;
            default ->
                new AdapterCacheException.TrainingFailed(
                        key, "getting " + key.qualifiedId() + " failed: " + cause, cause);
        };
    }

    private CompletableFuture<AdapterResult> joinOrStartFlight(AdapterKey key, AdapterTrainer trainer) {
        String id = key.qualifiedId();
        CompletableFuture<AdapterResult> mine = new CompletableFuture<>();
        CompletableFuture<AdapterResult> existing = flights.putIfAbsent(id, mine);
        if (existing != null) {
            metrics.trainingJoined();
            return existing;
        }
        try {
            flightExecutor.execute(() -> {
                try {
                    mine.complete(resolve(key, trainer));
                } catch (Throwable t) {
                    mine.completeExceptionally(t);
                } finally {
                    flights.remove(id, mine);
                }
            });
        } catch (RejectedExecutionException e) {
            flights.remove(id, mine);
            mine.completeExceptionally(new AdapterCacheException.Interrupted(key, "the adapter store is closed", e));
        }
        return mine;
    }

    /** The body of a flight: look everywhere, then train (under the fleet lock when there is Redis). */
    private AdapterResult resolve(AdapterKey key, AdapterTrainer trainer) {
        Optional<AdapterResult> found = peekLocal(key).or(() -> lookupRemote(key));
        if (found.isPresent()) {
            return found.get();
        }
        if (lock != null && redisHealth.available()) {
            return resolveUnderFleetLock(key, trainer);
        }
        return train(key, trainer, null);
    }

    private AdapterResult resolveUnderFleetLock(AdapterKey key, AdapterTrainer trainer) {
        String id = key.qualifiedId();
        long pollNanos = config.lock().pollInitial().toNanos();
        long pollMaxNanos = config.lock().pollMax().toNanos();
        long giveUpNanos = config.maxTrainingTime().plus(config.lock().ttl()).toNanos();
        long waitStart = 0;
        boolean waiting = false;
        CompletableFuture<Void> ready = notifier.next(id);
        try {
            while (true) {
                if (closed.get()) {
                    throw new AdapterCacheException.Interrupted(key, "the adapter store is closed", null);
                }
                Optional<FleetTrainingLock.Lease> lease;
                try {
                    lease = lock.tryAcquire(key);
                    redisHealth.success();
                } catch (TierUnavailableException e) {
                    redisHealth.failure("lock", e);
                    LOG.log(
                            Level.WARNING,
                            "adapter cache: no fleet lock for {0} (Redis unavailable); training it here",
                            id);
                    return lookupRemote(key).orElseGet(() -> train(key, trainer, null));
                }
                if (lease.isPresent()) {
                    if (waiting) {
                        metrics.lockWaited(System.nanoTime() - waitStart);
                    }
                    try {
                        // It may have been announced between our lookup and the lock.
                        Optional<AdapterResult> found = lookupRemote(key);
                        return found.isPresent() ? found.get() : train(key, trainer, lease.get());
                    } finally {
                        release(lease.get());
                    }
                }
                if (!waiting) {
                    waiting = true;
                    waitStart = System.nanoTime();
                    metrics.lockWait();
                    LOG.log(Level.DEBUG, "adapter cache: {0} is being trained by another instance; waiting", id);
                }
                if (System.nanoTime() - waitStart > giveUpNanos) {
                    throw new AdapterCacheException.TrainingFailed(
                            key, "gave up waiting for another instance to train " + id, null);
                }
                try {
                    ready.get(pollNanos, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    pollNanos = Math.min(pollNanos * 2, pollMaxNanos);
                } catch (ExecutionException e) {
                    // not completed exceptionally; ignore
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AdapterCacheException.Interrupted(key, "interrupted while waiting for " + id, e);
                }
                ready = notifier.next(id);
                Optional<AdapterResult> found = lookupRemote(key);
                if (found.isPresent()) {
                    metrics.lockWaited(System.nanoTime() - waitStart);
                    return found.get();
                }
            }
        } finally {
            notifier.forget(id, ready);
        }
    }

    private AdapterResult train(AdapterKey key, AdapterTrainer trainer, FleetTrainingLock.Lease lease) {
        metrics.trainingStarted();
        LOG.log(
                Level.DEBUG,
                "adapter cache: training {0}{1}",
                key.qualifiedId(),
                lease == null ? "" : " (fence " + lease.token() + ")");
        long start = System.nanoTime();
        ScheduledFuture<?> renewal = null;
        if (lease != null) {
            long every = Math.max(1, lock.ttl().toMillis() / 3);
            renewal = scheduler.scheduleAtFixedRate(
                    () -> runInBackground(() -> renew(lease)), every, every, TimeUnit.MILLISECONDS);
        }
        TrainedAdapter trained;
        Future<TrainedAdapter> task = null;
        try {
            task = trainingExecutor.submit(() -> trainer.train(key));
            trained = task.get(config.maxTrainingTime().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            metrics.trainingFailed();
            throw new AdapterCacheException.TrainingFailed(
                    key,
                    "training " + key.qualifiedId() + " took longer than max-training-time " + config.maxTrainingTime(),
                    null);
        } catch (ExecutionException e) {
            metrics.trainingFailed();
            throw new AdapterCacheException.TrainingFailed(
                    key, "training " + key.qualifiedId() + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | RejectedExecutionException e) {
            if (task != null) {
                task.cancel(true);
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            metrics.trainingFailed();
            throw new AdapterCacheException.Interrupted(key, "training " + key.qualifiedId() + " was interrupted", e);
        } finally {
            if (renewal != null) {
                renewal.cancel(false);
            }
        }
        long trainNanos = System.nanoTime() - start;
        long trainMillis = TimeUnit.NANOSECONDS.toMillis(trainNanos);
        metrics.trained(trainNanos);
        StoredAdapter stored;
        try {
            if (trained == null) {
                throw new IllegalArgumentException("the trainer returned null");
            }
            if (trained.payload().length > config.maxAdapterBytes()) {
                throw new IllegalArgumentException("the trainer returned " + trained.payload().length
                        + " bytes, more than max-adapter-bytes (" + config.maxAdapterBytes() + ")");
            }
            Map<String, String> metadata = new HashMap<>(trained.metadata());
            metadata.putIfAbsent("cache.trained-by", instanceId);
            if (lease != null) {
                metadata.putIfAbsent("cache.fence", Long.toString(lease.token()));
            }
            stored = AdapterEnvelope.encode(
                    key, new TrainedAdapter(trained.kind(), trained.payload(), metadata), Instant.now(), trainMillis);
        } catch (IllegalArgumentException e) {
            metrics.trainingFailed();
            throw new AdapterCacheException.TrainingFailed(
                    key, "training " + key.qualifiedId() + " returned an unusable adapter: " + e.getMessage(), e);
        }
        return persist(stored, trainMillis);
    }

    private void renew(FleetTrainingLock.Lease lease) {
        try {
            if (!lock.renew(lease)) {
                metrics.lockLost();
                LOG.log(
                        Level.WARNING,
                        "adapter cache: lost the training lock of {0} (fence {1}); another instance may train it too",
                        lease.key().qualifiedId(),
                        lease.token());
            }
            redisHealth.success();
        } catch (TierUnavailableException e) {
            redisHealth.failure("lock-renew", e);
        }
    }

    private void release(FleetTrainingLock.Lease lease) {
        try {
            lock.release(lease);
            redisHealth.success();
        } catch (TierUnavailableException e) {
            // The lock expires by itself.
            redisHealth.failure("lock-release", e);
        }
    }

    // -------------------------------------------------------------------------------------------------- lifecycle

    /** Runs {@code task} after {@code delayMillis} on a background virtual thread (the scheduler thread never blocks). */
    private void runLater(Runnable task, long delayMillis) {
        if (closed.get()) {
            return;
        }
        try {
            scheduler.schedule(() -> runInBackground(task), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void runInBackground(Runnable task) {
        try {
            background.execute(task);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void requireOpen(AdapterKey key) {
        if (closed.get()) {
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

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        int pending = writeBehind.drain().size();
        if (pending > 0) {
            LOG.log(
                    Level.WARNING,
                    "adapter cache: closing with {0} adapters not yet durable; they are lost here (other instances may"
                            + " still hold them in Redis)",
                    pending);
        }
        scheduler.shutdownNow();
        background.shutdownNow();
        flightExecutor.shutdownNow();
        if (ownsTrainingExecutor) {
            trainingExecutor.shutdownNow();
        }
        flights.values()
                .forEach(f -> f.completeExceptionally(
                        new AdapterCacheException.Interrupted(null, "the adapter store is closed", null)));
        if (notifier != null) {
            notifier.close();
        }
        if (redis != null) {
            redis.close();
        }
        durable.close();
        if (ownsVertx) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.log(Level.DEBUG, "adapter cache: closing Vert.x: {0}", e);
            }
        }
    }

    /** For tests: how many flights are in progress. */
    int flightsInProgress() {
        return flights.size();
    }
}
