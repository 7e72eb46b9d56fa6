package ai.adaptserve.cache;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether a remote tier is usable: a circuit breaker. After a failed call the tier is down and requests skip it (so a
 * dead tier costs them nothing); a background probe tries it every retry interval, and the first success brings it
 * back. Transitions are logged once, not per request.
 */
final class TierHealth {

    private static final System.Logger LOG = System.getLogger(TierHealth.class.getName());

    /** A cheap call that succeeds when the tier works. */
    interface Probe {
        void run() throws TierUnavailableException;
    }

    /** Runs a task after a delay, off the caller's thread. */
    interface Scheduler {
        void schedule(Runnable task, long delayMillis);
    }

    private final String tier;
    private final String fallback;
    private final long retryMillis;
    private final CacheMetrics metrics;
    private final Probe probe;
    private final Scheduler scheduler;
    private volatile Runnable onRecovery = () -> {};
    private final AtomicBoolean up = new AtomicBoolean(true);
    private final AtomicBoolean probing = new AtomicBoolean();

    TierHealth(
            String tier,
            String fallback,
            Duration retryInterval,
            CacheMetrics metrics,
            Probe probe,
            Scheduler scheduler) {
        this.tier = tier;
        this.fallback = fallback;
        this.retryMillis = retryInterval.toMillis();
        this.metrics = metrics;
        this.probe = probe;
        this.scheduler = scheduler;
        metrics.gauge(
                CacheMetrics.TIER_UP,
                "1 while the tier is considered available, 0 while it is down",
                () -> up.get() ? 1 : 0,
                "tier",
                tier);
    }

    /** Runs {@code action} (off the request path) each time the tier comes back. */
    void onRecovery(Runnable action) {
        this.onRecovery = action;
    }

    /** True if requests should use the tier. */
    boolean available() {
        return up.get();
    }

    void success() {
        if (!up.get() && up.compareAndSet(false, true)) {
            LOG.log(Level.INFO, "adapter cache: {0} is available again", tier);
            scheduler.schedule(onRecovery, 0);
        }
    }

    void failure(String op, Throwable cause) {
        metrics.tierError(tier, op);
        if (up.compareAndSet(true, false)) {
            LOG.log(
                    Level.WARNING,
                    "adapter cache: {0} is unavailable ({1} failed: {2}); serving from {3}, probing every {4} ms",
                    tier,
                    op,
                    String.valueOf(cause),
                    fallback,
                    retryMillis);
        } else {
            LOG.log(Level.DEBUG, "adapter cache: {0} still unavailable ({1}: {2})", tier, op, cause);
        }
        startProbing();
    }

    private void startProbing() {
        if (probing.compareAndSet(false, true)) {
            scheduler.schedule(this::probeOnce, retryMillis);
        }
    }

    private void probeOnce() {
        try {
            probe.run();
            probing.set(false);
            success();
        } catch (TierUnavailableException | RuntimeException e) {
            metrics.tierError(tier, "probe");
            LOG.log(Level.DEBUG, "adapter cache: {0} probe failed: {1}", tier, e);
            scheduler.schedule(this::probeOnce, retryMillis);
        }
    }
}
