package ai.adaptserve.cache;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a trainer for a key no tier holds: on the training executor, interrupted after {@code max-training-time}; checks
 * what it returned, wraps it in an envelope (noting this instance and the fencing token, if any, in the metadata) and
 * hands it to the {@link TierPath} to persist. Every failure becomes {@link AdapterCacheException.TrainingFailed} or
 * {@link AdapterCacheException.Interrupted}, and nothing is cached.
 */
final class Trainings {

    private static final System.Logger LOG = System.getLogger(Trainings.class.getName());

    private final TierPath tiers;
    private final CacheRuntime runtime;
    private final CacheMetrics metrics;
    private final Duration maxTrainingTime;
    private final long maxAdapterBytes;
    private final String instanceId;
    private final Optional<EntryMac> mac;

    Trainings(
            AdapterCacheConfig config, TierPath tiers, CacheRuntime runtime, CacheMetrics metrics, String instanceId) {
        this.tiers = tiers;
        this.runtime = runtime;
        this.metrics = metrics;
        this.maxTrainingTime = config.maxTrainingTime();
        this.maxAdapterBytes = config.maxAdapterBytes();
        this.instanceId = instanceId;
        this.mac = config.hmacKey().map(k -> new EntryMac(k.secret()));
    }

    /**
     * Trains, stores and returns the adapter of {@code key}.
     *
     * @param fence the fencing token of the fleet lock held for it, if any
     */
    AdapterResult train(AdapterKey key, AdapterTrainer trainer, Optional<Long> fence) {
        return train(key, trainer, fence, () -> true);
    }

    /** Whether the training may still be written: false once this instance lost the fleet lock it trained under. */
    interface WriteGuard {
        boolean mayWrite();
    }

    /** The training was done, but this instance lost the fleet lock meanwhile: its result was dropped, not written. */
    static final class Abandoned extends RuntimeException {
        Abandoned(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * As {@link #train(AdapterKey, AdapterTrainer, Optional)}, checking {@code guard} before anything is written.
     *
     * @throws Abandoned if {@code guard} refuses
     */
    AdapterResult train(AdapterKey key, AdapterTrainer trainer, Optional<Long> fence, WriteGuard guard) {
        metrics.trainingStarted();
        LOG.log(
                Level.DEBUG,
                "adapter cache: training {0}{1}",
                key.qualifiedId(),
                fence.map(f -> " (fence " + f + ")").orElse(""));
        long start = System.nanoTime();
        TrainedAdapter trained = run(key, trainer);
        long trainNanos = System.nanoTime() - start;
        long trainMillis = TimeUnit.NANOSECONDS.toMillis(trainNanos);
        metrics.trained(trainNanos);
        StoredAdapter stored;
        try {
            stored = envelope(key, trained, fence, trainMillis);
        } catch (IllegalArgumentException e) {
            metrics.trainingFailed();
            throw new AdapterCacheException.TrainingFailed(
                    key, "training " + key.qualifiedId() + " returned an unusable adapter: " + e.getMessage(), e);
        }
        if (!guard.mayWrite()) {
            metrics.trainingAbandoned();
            throw new Abandoned("lost the fleet lock of " + key.qualifiedId() + " while training; not written");
        }
        return tiers.persist(stored, trainMillis);
    }

    private TrainedAdapter run(AdapterKey key, AdapterTrainer trainer) {
        Future<TrainedAdapter> task = null;
        try {
            task = runtime.train(() -> trainer.train(key));
            return task.get(maxTrainingTime.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            metrics.trainingFailed();
            throw new AdapterCacheException.TrainingFailed(
                    key,
                    "training " + key.qualifiedId() + " took longer than max-training-time " + maxTrainingTime,
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
        }
    }

    private StoredAdapter envelope(AdapterKey key, TrainedAdapter trained, Optional<Long> fence, long trainMillis) {
        if (trained == null) {
            throw new IllegalArgumentException("the trainer returned null");
        }
        if (trained.payload().length > maxAdapterBytes) {
            throw new IllegalArgumentException("the trainer returned " + trained.payload().length
                    + " bytes, more than max-adapter-bytes (" + maxAdapterBytes + ")");
        }
        Map<String, String> metadata = new HashMap<>(trained.metadata());
        metadata.putIfAbsent("cache.trained-by", instanceId);
        fence.ifPresent(f -> metadata.putIfAbsent("cache.fence", Long.toString(f)));
        return AdapterEnvelope.encode(
                key, new TrainedAdapter(trained.kind(), trained.payload(), metadata), Instant.now(), trainMillis, mac);
    }
}
