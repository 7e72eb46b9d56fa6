package ai.adaptserve.cache;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Train once: per instance and, with Redis or S3, across the fleet.
 *
 * <p>Per instance, concurrent requests for a key share one in-flight future (a flight) that looks in every tier and, if
 * none holds the adapter, trains it; each caller waits with its own timeout. Across instances, the flight takes the
 * fleet lock (after a slot of the {@link TrainingQueue}): the {@link FleetTrainingLock} in Redis and the
 * {@link S3TrainingLease} on S3, each that is configured and answers, and renews them every third of their TTL while it
 * trains and stores. Instances that find either taken give their slot back and wait for the ready notification (or poll
 * the tiers with back-off), then read the adapter. If the holder dies its locks expire and a waiter takes over; a holder
 * that lost a lock abandons its training instead of writing it. When Redis is down or too slow, S3's lease alone
 * arbitrates; only when neither can answer does an instance train without a fleet lock (counted in {@value
 * CacheMetrics#TRAININGS_UNLOCKED} and logged).
 */
final class SingleFlight implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SingleFlight.class.getName());

    private final Map<String, CompletableFuture<AdapterResult>> flights = new ConcurrentHashMap<>();
    private final TierPath tiers;
    private final Trainings trainings;
    private final TrainingQueue queue;
    private final TenantQuota quota;
    private final FleetTrainingLock lock;
    private final ReadyNotifier notifier;
    private final TierHealth redisHealth;
    private final S3TrainingLease lease;
    private final TierHealth durableHealth;
    private final CacheRuntime runtime;
    private final CacheMetrics metrics;
    private final AdapterCacheConfig.Lock lockConfig;
    private final Duration giveUpAfter;

    /** {@code lock}, {@code notifier} and {@code redisHealth} are null without Redis, {@code lease} without S3. */
    SingleFlight(
            AdapterCacheConfig config,
            TierPath tiers,
            Trainings trainings,
            TrainingQueue queue,
            TenantQuota quota,
            FleetTrainingLock lock,
            ReadyNotifier notifier,
            TierHealth redisHealth,
            S3TrainingLease lease,
            TierHealth durableHealth,
            CacheRuntime runtime,
            CacheMetrics metrics) {
        this.tiers = tiers;
        this.trainings = trainings;
        this.queue = queue;
        this.quota = quota;
        this.lock = lock;
        this.notifier = notifier;
        this.redisHealth = redisHealth;
        this.lease = lease;
        this.durableHealth = durableHealth;
        this.runtime = runtime;
        this.metrics = metrics;
        this.lockConfig = config.lock();
        this.giveUpAfter = config.maxTrainingTime().plus(config.lock().ttl());
    }

    /** The flight's result, waiting at most {@code timeout}; see {@link AdapterStore#getOrCreate}. */
    AdapterResult await(AdapterKey key, AdapterTrainer trainer, Duration timeout) {
        CompletableFuture<AdapterResult> flight = join(key, trainer);
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

    private static AdapterCacheException rethrow(AdapterKey key, Throwable cause) {
        // A fresh exception per waiter (the flight's exception is shared), with the original as cause.
        return switch (cause) {
            case AdapterCacheException.TrainingFailed f ->
                new AdapterCacheException.TrainingFailed(key, f.getMessage(), f.getCause() != null ? f.getCause() : f);
            case AdapterCacheException.Interrupted i -> new AdapterCacheException.Interrupted(key, i.getMessage(), i);
            case AdapterCacheException.WaitTimedOut w -> w;
            case AdapterCacheException.Overloaded o -> new AdapterCacheException.Overloaded(key, o.getMessage());
            case AdapterCacheException.QuotaExceeded q ->
                new AdapterCacheException.QuotaExceeded(key, q.getMessage(), q.limitBytes());
            default ->
                new AdapterCacheException.TrainingFailed(
                        key, "getting " + key.qualifiedId() + " failed: " + cause, cause);
        };
    }

    /** The flight of {@code key}: the one in progress, or a new one. */
    CompletableFuture<AdapterResult> join(AdapterKey key, AdapterTrainer trainer) {
        String id = key.qualifiedId();
        CompletableFuture<AdapterResult> mine = new CompletableFuture<>();
        CompletableFuture<AdapterResult> existing = flights.putIfAbsent(id, mine);
        if (existing != null) {
            metrics.trainingJoined();
            return existing;
        }
        try {
            runtime.startFlight(() -> {
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

    /**
     * The body of a flight: look everywhere; then, within the tenant's quota, take a training slot and (with Redis or
     * S3) the fleet lock, and train.
     */
    private AdapterResult resolve(AdapterKey key, AdapterTrainer trainer) {
        Optional<AdapterResult> found = tiers.peekLocal(key).or(() -> tiers.lookupRemote(key));
        if (found.isPresent()) {
            return found.get();
        }
        quota.check(key, metrics);
        if (lock != null || lease != null) {
            return resolveUnderFleetLock(key, trainer);
        }
        try (TrainingQueue.Slot slot = queue.enter(key)) {
            // Queued meanwhile: another instance may have stored it.
            return tiers.lookupRemote(key).orElseGet(() -> trainings.train(key, trainer, Optional.empty()));
        }
    }

    /** What {@link #acquire} got: the locks held, or another instance trains it, or nothing could tell. */
    private sealed interface Acquired {}

    /** The locks this instance holds for a key: Redis's, S3's, or both (at least one). */
    private record Held(Optional<FleetTrainingLock.Lease> redis, Optional<S3TrainingLease.Lease> s3)
            implements Acquired {
        String arbiters() {
            return redis.isPresent() && s3.isPresent() ? "redis+s3" : redis.isPresent() ? "redis" : "s3";
        }

        /** The fencing token noted in the adapter's metadata: Redis's fleet-wide counter, else the S3 generation. */
        long fence() {
            return redis.map(FleetTrainingLock.Lease::token)
                    .orElseGet(() -> s3.orElseThrow().generation());
        }
    }

    private record Taken() implements Acquired {}

    private record NoArbiter(String why) implements Acquired {}

    private AdapterResult resolveUnderFleetLock(AdapterKey key, AdapterTrainer trainer) {
        String id = key.qualifiedId();
        long pollNanos = lockConfig.pollInitial().toNanos();
        long waitStart = 0;
        boolean waiting = false;
        S3TrainingLease.Watch watch = new S3TrainingLease.Watch();
        // Without Redis there is no notification: the wait is a plain poll with back-off.
        CompletableFuture<Void> ready = notifier != null ? notifier.next(id) : new CompletableFuture<>();
        try {
            while (true) {
                if (runtime.closed()) {
                    throw new AdapterCacheException.Interrupted(key, "the adapter store is closed", null);
                }
                // The slot first, then the lock: the lock is held only while this instance actually trains.
                try (TrainingQueue.Slot slot = queue.enter(key)) {
                    Acquired acquired = acquire(key, watch);
                    if (acquired instanceof NoArbiter none) {
                        // Counted only if it does train: the look-up may find it stored meanwhile.
                        return tiers.lookupRemote(key).orElseGet(() -> {
                            metrics.trainingUnlocked();
                            LOG.log(
                                    Level.WARNING,
                                    "adapter cache: no fleet lock for {0} ({1}); training it here without one",
                                    id,
                                    none.why());
                            return trainings.train(key, trainer, Optional.empty());
                        });
                    }
                    if (acquired instanceof Held held) {
                        metrics.lockTaken(held.arbiters());
                        Optional<AdapterResult> done = trainHolding(key, trainer, held);
                        if (done.isPresent()) {
                            if (waiting) {
                                metrics.lockWaited(System.nanoTime() - waitStart);
                            }
                            return done.get();
                        }
                    }
                }
                if (!waiting) {
                    waiting = true;
                    waitStart = System.nanoTime();
                    metrics.lockWait();
                    LOG.log(Level.DEBUG, "adapter cache: {0} is being trained by another instance; waiting", id);
                }
                if (System.nanoTime() - waitStart > giveUpAfter.toNanos()) {
                    throw new AdapterCacheException.TrainingFailed(
                            key, "gave up waiting for another instance to train " + id, null);
                }
                try {
                    ready.get(pollNanos, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    pollNanos = Math.min(pollNanos * 2, lockConfig.pollMax().toNanos());
                } catch (ExecutionException e) {
                    // not completed exceptionally; ignore
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AdapterCacheException.Interrupted(key, "interrupted while waiting for " + id, e);
                }
                if (notifier != null) {
                    ready = notifier.next(id);
                }
                Optional<AdapterResult> found = tiers.lookupRemote(key);
                if (found.isPresent()) {
                    metrics.lockWaited(System.nanoTime() - waitStart);
                    return found.get();
                }
            }
        } finally {
            if (notifier != null) {
                notifier.forget(id, ready);
            }
        }
    }

    /**
     * The fleet lock of {@code key}: S3's lease, then Redis's lock, each if it is configured and up. A holder takes
     * both, so that an instance that can reach only one of them still sees the training. S3 comes first so that a
     * waiter polling a lease held by another instance does not take and give back Redis's lock (and a fencing token)
     * at every poll. A call that fails or times out is not taken as "free": the other arbiter decides alone. Only if
     * neither can answer does this instance train without a fleet lock.
     */
    private Acquired acquire(AdapterKey key, S3TrainingLease.Watch watch) {
        Optional<S3TrainingLease.Lease> s3Lease = Optional.empty();
        String why = "";
        if (lease != null) {
            if (durableHealth.available()) {
                try {
                    s3Lease = lease.tryAcquire(key, watch);
                    durableHealth.success();
                    if (s3Lease.isEmpty()) {
                        return new Taken();
                    }
                } catch (TierUnavailableException e) {
                    durableHealth.failure("lease", e);
                    why = "S3: " + e.getMessage();
                }
            } else {
                why = "S3 is down";
            }
        }
        if (lock != null) {
            if (redisHealth.available()) {
                try {
                    Optional<FleetTrainingLock.Lease> redisLease = acquireRedis(key);
                    if (redisLease.isEmpty()) {
                        // Held by an instance that could not reach S3 when it took it.
                        s3Lease.ifPresent(this::releaseS3);
                        return new Taken();
                    }
                    return new Held(redisLease, s3Lease);
                } catch (TierUnavailableException e) {
                    why = (why.isEmpty() ? "" : why + "; ") + "Redis: " + e.getMessage();
                }
            } else {
                why = (why.isEmpty() ? "" : why + "; ") + "Redis is down";
            }
        }
        return s3Lease.isPresent() ? new Held(Optional.empty(), s3Lease) : new NoArbiter(why);
    }

    /**
     * The Redis lock, tried up to three times when Redis fails: the script is idempotent, so a retry after a call that
     * timed out on this side but ran in Redis gets the same lease back (not "held by another", which made this
     * instance wait for itself while the lock expired, and then train twice).
     */
    private Optional<FleetTrainingLock.Lease> acquireRedis(AdapterKey key) throws TierUnavailableException {
        TierUnavailableException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                Optional<FleetTrainingLock.Lease> lease = lock.tryAcquire(key);
                redisHealth.success();
                return lease;
            } catch (TierUnavailableException e) {
                last = e;
            }
        }
        redisHealth.failure("lock", last);
        throw last;
    }

    /**
     * Under {@code held}: looks once more (it may have been announced between the lookup and the lock), else trains.
     * Empty if this instance lost a lock before writing: the training is abandoned and the caller waits for the new
     * holder's adapter.
     */
    private Optional<AdapterResult> trainHolding(AdapterKey key, AdapterTrainer trainer, Held held) {
        AtomicBoolean lost = new AtomicBoolean();
        long every = Math.max(1, lockConfig.ttl().toMillis() / 3);
        ScheduledFuture<?> renewal = runtime.every(every, () -> renew(held, lost));
        try {
            return Optional.of(tiers.lookupRemote(key)
                    .orElseGet(() ->
                            trainings.train(key, trainer, Optional.of(held.fence()), () -> stillHeld(held, lost))));
        } catch (Trainings.Abandoned e) {
            LOG.log(Level.WARNING, "adapter cache: {0}; waiting for the new holder''s adapter", e.getMessage());
            return Optional.empty();
        } finally {
            renewal.cancel(false);
            held.redis().ifPresent(this::releaseRedis);
            held.s3().ifPresent(this::releaseS3);
        }
    }

    /**
     * Whether a training under {@code held} may be written: not if a renewal found a lock gone or one holds another
     * value now. If a tier cannot tell, the write goes ahead: it is create-only, so at worst it loses to an earlier one.
     */
    private boolean stillHeld(Held held, AtomicBoolean lost) {
        if (lost.get()) {
            return false;
        }
        if (held.redis().isPresent()) {
            try {
                boolean holds = lock.holds(held.redis().get());
                redisHealth.success();
                if (!holds) {
                    return false;
                }
            } catch (TierUnavailableException e) {
                redisHealth.failure("lock-check", e);
            }
        }
        if (held.s3().isPresent()) {
            try {
                boolean holds = lease.holds(held.s3().get());
                durableHealth.success();
                return holds;
            } catch (TierUnavailableException e) {
                durableHealth.failure("lease-check", e);
            }
        }
        return true;
    }

    private void renew(Held held, AtomicBoolean lost) {
        held.redis().ifPresent(l -> {
            try {
                if (!lock.renew(l)) {
                    lostLock(lost, "redis", l.key(), l.token());
                }
                redisHealth.success();
            } catch (TierUnavailableException e) {
                redisHealth.failure("lock-renew", e);
            }
        });
        held.s3().ifPresent(l -> {
            try {
                if (!lease.renew(l)) {
                    lostLock(lost, "s3", l.key(), l.generation());
                }
                durableHealth.success();
            } catch (TierUnavailableException e) {
                durableHealth.failure("lease-renew", e);
            }
        });
    }

    private void lostLock(AtomicBoolean lost, String arbiter, AdapterKey key, long fence) {
        if (lost.compareAndSet(false, true)) {
            metrics.lockLost();
        }
        LOG.log(
                Level.WARNING,
                "adapter cache: lost the {0} training lock of {1} (fence {2}); its training will not be written",
                arbiter,
                key.qualifiedId(),
                fence);
    }

    private void releaseRedis(FleetTrainingLock.Lease held) {
        try {
            lock.release(held);
            redisHealth.success();
        } catch (TierUnavailableException e) {
            // The lock expires by itself.
            redisHealth.failure("lock-release", e);
        }
    }

    private void releaseS3(S3TrainingLease.Lease held) {
        try {
            lease.release(held);
            durableHealth.success();
        } catch (TierUnavailableException e) {
            // Waiters take it over once it has stood still for a TTL.
            durableHealth.failure("lease-release", e);
        }
    }

    /** How many flights are in progress (for tests). */
    int inProgress() {
        return flights.size();
    }

    /** Fails every flight in progress (the store is closing) and stops listening for ready notifications. */
    @Override
    public void close() {
        flights.values()
                .forEach(f -> f.completeExceptionally(
                        new AdapterCacheException.Interrupted(null, "the adapter store is closed", null)));
        if (notifier != null) {
            notifier.close();
        }
    }
}
