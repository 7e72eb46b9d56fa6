package ai.adaptserve.cache;

/**
 * How many trainings this instance runs and queues. A flight that must train first takes a slot, and only then the
 * fleet lock: an instance never holds the lock while its training waits in its own queue (which would make idle
 * instances wait behind a busy one), and the training's {@code max-training-time} starts when it runs.
 *
 * @param maxRunning trainings running at once on this instance (give the store a training executor at least this large)
 * @param maxQueued flights waiting for a slot; one more is refused at once with {@link
 *     AdapterCacheException.Overloaded}
 * @param maxRunningPerTenant trainings of one tenant running at once (keys without a tenant share one budget); a
 *     tenant at its limit waits in the queue while other tenants' trainings run
 */
public record TrainingLimits(int maxRunning, int maxQueued, int maxRunningPerTenant) {

    public TrainingLimits {
        if (maxRunning < 1 || maxQueued < 0 || maxRunningPerTenant < 1) {
            throw new IllegalArgumentException("training limits must be positive (max-queued may be 0): running "
                    + maxRunning + ", queued " + maxQueued + ", per tenant " + maxRunningPerTenant);
        }
    }

    /** The library's default: no bound (the caller's training executor is the only one). */
    public static TrainingLimits unbounded() {
        return new TrainingLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }
}
