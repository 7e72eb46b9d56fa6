package ai.adaptserve.cache;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The slots of {@link TrainingLimits}: a flight takes one before it trains (and before the fleet lock), waits in a
 * bounded queue while none is free for its tenant, and is refused at once when the queue is full.
 */
final class TrainingQueue {

    private final TrainingLimits limits;
    private final CacheMetrics metrics;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private final Map<String, Integer> runningByTenant = new HashMap<>();
    private int running;
    private int queued;

    TrainingQueue(TrainingLimits limits, CacheMetrics metrics) {
        this.limits = limits;
        this.metrics = metrics;
        metrics.gauge(CacheMetrics.TRAININGS_RUNNING, "Trainings holding a slot on this instance", this::running);
        metrics.gauge(CacheMetrics.TRAININGS_QUEUED, "Trainings waiting for a slot on this instance", this::queued);
    }

    /** A held slot; close it when the training (and its write) is over. */
    final class Slot implements AutoCloseable {
        private final String tenant;
        private boolean closed;

        private Slot(String tenant) {
            this.tenant = tenant;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (!closed) {
                    closed = true;
                    running--;
                    runningByTenant.merge(tenant, -1, (a, b) -> a + b == 0 ? null : a + b);
                    freed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * A slot for a training of {@code key}, waiting for one if needed.
     *
     * @throws AdapterCacheException.Overloaded at once if none is free and the queue is full
     * @throws AdapterCacheException.Interrupted if interrupted while queued
     */
    Slot enter(AdapterKey key) {
        String tenant = key.tenant().orElse("");
        lock.lock();
        try {
            if (!free(tenant)) {
                if (queued >= limits.maxQueued()) {
                    metrics.trainingRejected("queue-full");
                    throw new AdapterCacheException.Overloaded(
                            key,
                            "all " + limits.maxRunning() + " training slots and " + limits.maxQueued()
                                    + " queue places of this instance are taken");
                }
                queued++;
                try {
                    while (!free(tenant)) {
                        freed.await();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AdapterCacheException.Interrupted(key, "interrupted while queued for training", e);
                } finally {
                    queued--;
                }
            }
            running++;
            runningByTenant.merge(tenant, 1, Integer::sum);
            return new Slot(tenant);
        } finally {
            lock.unlock();
        }
    }

    private boolean free(String tenant) {
        return running < limits.maxRunning() && runningByTenant.getOrDefault(tenant, 0) < limits.maxRunningPerTenant();
    }

    int running() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    int queued() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }
}
