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
import java.util.function.Supplier;

/**
 * Train once: per instance and, with Redis, across the fleet.
 *
 * <p>Per instance, concurrent requests for a key share one in-flight future (a flight) that looks in every tier and, if
 * none holds the adapter, trains it; each caller waits with its own timeout. Across instances, the flight takes the
 * {@link FleetTrainingLock} first and renews it every third of its TTL while it trains and stores; instances that find
 * it taken wait for the ready notification (or poll with back-off), then read the adapter. If the holder dies its lock
 * expires and a waiter takes over. Without Redis (or while it is down) training is single-flight per instance only.
 */
final class SingleFlight implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SingleFlight.class.getName());

    private final Map<String, CompletableFuture<AdapterResult>> flights = new ConcurrentHashMap<>();
    private final TierPath tiers;
    private final Trainings trainings;
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
            FleetTrainingLock lock,
            ReadyNotifier notifier,
            TierHealth redisHealth,
            CacheRuntime runtime,
            CacheMetrics metrics) {
        this.tiers = tiers;
        this.trainings = trainings;
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

    /** The body of a flight: look everywhere, then train (under the fleet lock when there is Redis). */
    private AdapterResult resolve(AdapterKey key, AdapterTrainer trainer) {
        Optional<AdapterResult> found = tiers.peekLocal(key).or(() -> tiers.lookupRemote(key));
        if (found.isPresent()) {
            return found.get();
        }
        if (lock != null && redisHealth.available()) {
            return resolveUnderFleetLock(key, trainer);
        }
        return trainings.train(key, trainer, Optional.empty());
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
                    return tiers.lookupRemote(key).orElseGet(() -> trainings.train(key, trainer, Optional.empty()));
                }
                if (lease.isPresent()) {
                    if (waiting) {
                        metrics.lockWaited(System.nanoTime() - waitStart);
                    }
                    // It may have been announced between our lookup and the lock.
                    return holding(
                            lease.get(),
                            () -> tiers.lookupRemote(key)
                                    .orElseGet(() -> trainings.train(
                                            key,
                                            trainer,
                                            Optional.of(lease.get().token()))));
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

    /** Work done under the lock: renewed every third of its TTL meanwhile, released after. */
    private AdapterResult holding(FleetTrainingLock.Lease lease, Supplier<AdapterResult> work) {
        long every = Math.max(1, lock.ttl().toMillis() / 3);
        ScheduledFuture<?> renewal = runtime.every(every, () -> renew(lease));
        try {
            return work.get();
        } finally {
            renewal.cancel(false);
            release(lease);
        }
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
