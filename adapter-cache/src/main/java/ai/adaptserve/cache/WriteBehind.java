package ai.adaptserve.cache;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Adapters that are not durable yet, and the background retry that makes them so.
 *
 * <p>An adapter trained (or found in Redis's {@code as:pending}) while the durable tier is down waits in a bounded
 * {@link WriteBehindQueue}. One flush at a time writes the queue to the durable tier, oldest first, skipping objects
 * already there (announcing theirs), and announces each written adapter in Redis. It stops at the first failure and tries again after a
 * delay that starts at the durable tier's retry interval and doubles up to {@code write-behind.retry-max}; the tier's
 * recovery starts a flush at once.
 */
final class WriteBehind {

    private static final System.Logger LOG = System.getLogger(WriteBehind.class.getName());

    private final WriteBehindQueue queue;
    private final RemoteTiers remote;
    private final CacheRuntime runtime;
    private final CacheMetrics metrics;
    private final long firstDelayMillis;
    private final long maxDelayMillis;
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final ReentrantLock flushing = new ReentrantLock();
    private volatile long delayMillis;

    /**
     * @param durableRetry the durable tier's retry interval: the first delay
     * @param durableHealth whose recovery starts a flush
     */
    WriteBehind(
            AdapterCacheConfig.WriteBehind config,
            Duration durableRetry,
            TierHealth durableHealth,
            RemoteTiers remote,
            CacheRuntime runtime,
            CacheMetrics metrics) {
        this.queue = new WriteBehindQueue(config.maxBytes());
        this.remote = remote;
        this.runtime = runtime;
        this.metrics = metrics;
        this.firstDelayMillis = durableRetry.toMillis();
        this.maxDelayMillis = config.retryMax().toMillis();
        this.delayMillis = firstDelayMillis;
        durableHealth.onRecovery(() -> {
            delayMillis = firstDelayMillis;
            flush();
        });
        metrics.gauge(
                CacheMetrics.WRITE_BEHIND_PENDING, "Adapters waiting to be written to the durable tier", queue::size);
        metrics.gauge(
                CacheMetrics.WRITE_BEHIND_BYTES,
                "Bytes of adapters waiting to be written to the durable tier",
                queue::bytes);
    }

    Optional<StoredAdapter> get(AdapterKey key) {
        return queue.get(key);
    }

    boolean contains(AdapterKey key) {
        return queue.contains(key);
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }

    /** Queues {@code adapter} (dropping the oldest entries beyond the bound) and schedules a flush. */
    void add(StoredAdapter adapter) {
        for (StoredAdapter dropped : queue.add(adapter)) {
            metrics.writeBehindDropped();
            LOG.log(
                    Level.WARNING,
                    "adapter cache: write-behind queue full (write-behind.max-bytes); {0} will not be made durable",
                    dropped.key().qualifiedId());
        }
        scheduleFlush();
    }

    /** Forgets {@code adapter}: it was made durable by another path. */
    void remove(StoredAdapter adapter) {
        queue.remove(adapter);
    }

    /** Empties the queue when the store closes; logs how many adapters are lost here. */
    void dropAll() {
        int pending = queue.drain().size();
        if (pending > 0) {
            LOG.log(
                    Level.WARNING,
                    "adapter cache: closing with {0} adapters not yet durable; they are lost here (other instances may"
                            + " still hold them in Redis)",
                    pending);
        }
    }

    private void scheduleFlush() {
        if (runtime.closed() || queue.isEmpty() || !flushScheduled.compareAndSet(false, true)) {
            return;
        }
        runtime.runLater(this::flush, delayMillis);
    }

    /** Writes the queued adapters to the durable tier, oldest first; stops at the first failure and backs off. */
    private void flush() {
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
        for (StoredAdapter adapter : queue.snapshot()) {
            if (runtime.closed()) {
                return;
            }
            RemoteTiers.Created created = remote.createDurable(adapter, true);
            if (created == RemoteTiers.Created.DOWN) {
                failed = true;
                break;
            }
            queue.remove(adapter);
            StoredAdapter durable = adapter;
            if (created == RemoteTiers.Created.EXISTS && remote.readDurable(adapter.key()) instanceof TierRead.Hit h) {
                durable = h.adapter(); // another writer was first: its entry is the one announced
            }
            remote.announce(durable);
            LOG.log(
                    Level.INFO,
                    "adapter cache: {0} is durable now",
                    adapter.key().qualifiedId());
        }
        delayMillis = failed ? Math.min(delayMillis * 2, maxDelayMillis) : firstDelayMillis;
    }
}
