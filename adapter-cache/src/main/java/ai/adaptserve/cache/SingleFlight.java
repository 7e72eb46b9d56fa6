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
 * Train once: per instance and, with Redis, across the fleet.
 *
 * <p>Per instance, concurrent requests for a key share one in-flight future (a flight) that looks in every tier and, if
 * none holds the adapter, trains it; each caller waits with its own timeout. Across instances, the flight takes the
 * {@link FleetTrainingLock} (after a slot of the {@link TrainingQueue}) and renews it every third of its TTL while it
 * trains and stores; instances that find it taken give their slot back and wait for the ready notification (or poll
 * with back-off), then read the adapter. If the holder dies its lock expires and a waiter takes over; a holder that lost
 * its lock abandons its training instead of writing it. Without Redis (or while it is down) training is single-flight
 * per instance only.
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
    private final CacheRuntime runtime;
    private final CacheMetrics metrics;
    private final AdapterCacheConfig.Lock lockConfig;
    private final Duration giveUpAfter;

    /** {@code lock}, {@code notifier} and {@code redisHealth} are null without Redis. */
    SingleFlight(
            AdapterCacheConfig config,
            TierPath tiers,
            Trainings trainings,
            TrainingQueue queue,
            TenantQuota quota,
            FleetTrainingLock lock,
            ReadyNotifier notifier,
            TierHealth redisHealth,
            CacheRuntime runtime,
            CacheMetrics metrics) {
        this.tiers = tiers;
        this.trainings = trainings;
        this.queue = queue;
        this.quota = quota;
        this.lock = lock;
        this.notifier = notifier;
        this.redisHealth = redisHealth;
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
     * The body of a flight: look everywhere; then, within the tenant's quota, take a training slot and (with Redis)
     * the fleet lock, and train.
     */
    private AdapterResult resolve(AdapterKey key, AdapterTrainer trainer) {
        Optional<AdapterResult> found = tiers.peekLocal(key).or(() -> tiers.lookupRemote(key));
        if (found.isPresent()) {
            return found.get();
        }
        quota.check(key, metrics);
        if (lock != null && redisHealth.available()) {
            return resolveUnderFleetLock(key, trainer);
        }
        try (TrainingQueue.Slot slot = queue.enter(key)) {
            // Queued meanwhile: another instance may have stored it.
            return tiers.lookupRemote(key).orElseGet(() -> trainings.train(key, trainer, Optional.empty()));
        }
    }

    private AdapterResult resolveUnderFleetLock(AdapterKey key, AdapterTrainer trainer) {
        String id = key.qualifiedId();
        long pollNanos = lockConfig.pollInitial().toNanos();
        long waitStart = 0;
        boolean waiting = false;
        CompletableFuture<Void> ready = notifier.next(id);
        try {
            while (true) {
                if (runtime.closed()) {
                    throw new AdapterCacheException.Interrupted(key, "the adapter store is closed", null);
                }
                // The slot first, then the lock: the lock is held only while this instance actually trains.
                Optional<AdapterResult> done;
                try (TrainingQueue.Slot slot = queue.enter(key)) {
                    Optional<FleetTrainingLock.Lease> lease;
                    try {
                        lease = acquire(key);
                    } catch (TierUnavailableException e) {
                        LOG.log(
                                Level.WARNING,
                                "adapter cache: no fleet lock for {0} (Redis unavailable); training it here",
                                id);
                        return tiers.lookupRemote(key).orElseGet(() -> trainings.train(key, trainer, Optional.empty()));
                    }
                    done = lease.isPresent() ? trainHolding(key, trainer, lease.get()) : Optional.empty();
                    if (done.isPresent()) {
                        if (waiting) {
                            metrics.lockWaited(System.nanoTime() - waitStart);
                        }
                        return done.get();
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
                ready = notifier.next(id);
                Optional<AdapterResult> found = tiers.lookupRemote(key);
                if (found.isPresent()) {
                    metrics.lockWaited(System.nanoTime() - waitStart);
                    return found.get();
                }
            }
        } finally {
            notifier.forget(id, ready);
        }
    }

    /**
     * The lock, tried up to three times when Redis fails: the script is idempotent, so a retry after a call that timed
     * out on this side but ran in Redis gets the same lease back (not "held by another", which made this instance wait
     * for itself while the lock expired, and then train twice).
     */
    private Optional<FleetTrainingLock.Lease> acquire(AdapterKey key) throws TierUnavailableException {
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
     * Under {@code lease}: looks once more (it may have been announced between the lookup and the lock), else trains.
     * Empty if this instance lost the lock before writing: the training is abandoned and the caller waits for the
     * new holder's adapter.
     */
    private Optional<AdapterResult> trainHolding(
            AdapterKey key, AdapterTrainer trainer, FleetTrainingLock.Lease lease) {
        AtomicBoolean lost = new AtomicBoolean();
        long every = Math.max(1, lock.ttl().toMillis() / 3);
        ScheduledFuture<?> renewal = runtime.every(every, () -> renew(lease, lost));
        try {
            return Optional.of(tiers.lookupRemote(key)
                    .orElseGet(() ->
                            trainings.train(key, trainer, Optional.of(lease.token()), () -> stillHeld(lease, lost))));
        } catch (Trainings.Abandoned e) {
            LOG.log(Level.WARNING, "adapter cache: {0}; waiting for the new holder''s adapter", e.getMessage());
            return Optional.empty();
        } finally {
            renewal.cancel(false);
            release(lease);
        }
    }

    /**
     * Whether a training under {@code lease} may be written: not if a renewal found the lock gone or it holds another
     * value now. If Redis cannot tell, the write goes ahead: it is create-only, so at worst it loses to an earlier one.
     */
    private boolean stillHeld(FleetTrainingLock.Lease lease, AtomicBoolean lost) {
        if (lost.get()) {
            return false;
        }
        try {
            boolean held = lock.holds(lease);
            redisHealth.success();
            return held;
        } catch (TierUnavailableException e) {
            redisHealth.failure("lock-check", e);
            return true;
        }
    }

    private void renew(FleetTrainingLock.Lease lease, AtomicBoolean lost) {
        try {
            if (!lock.renew(lease)) {
                lost.set(true);
                metrics.lockLost();
                LOG.log(
                        Level.WARNING,
                        "adapter cache: lost the training lock of {0} (fence {1}); its training will not be written",
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
