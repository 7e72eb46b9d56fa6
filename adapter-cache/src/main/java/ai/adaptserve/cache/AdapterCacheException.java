package ai.adaptserve.cache;

import java.time.Duration;

/**
 * Why {@link AdapterStore#getOrCreate} could not return an adapter, or {@link StoredAdapter#decoded} its decoded form.
 * Failures of a cache tier are never thrown: the store serves from the other tiers and, failing all, trains.
 */
public abstract sealed class AdapterCacheException extends RuntimeException {

    private final transient AdapterKey key;

    AdapterCacheException(AdapterKey key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The adapter asked for. */
    public AdapterKey key() {
        return key;
    }

    /** The trainer threw, or exceeded the maximum training time, or returned an unusable adapter. */
    public static final class TrainingFailed extends AdapterCacheException {
        public TrainingFailed(AdapterKey key, String message, Throwable cause) {
            super(key, message, cause);
        }
    }

    /**
     * The caller's timeout passed before the adapter was ready. The training (here or on another instance) goes on,
     * and its result is cached for the next request.
     */
    public static final class WaitTimedOut extends AdapterCacheException {
        private final transient Duration timeout;

        public WaitTimedOut(AdapterKey key, Duration timeout) {
            super(key, "adapter " + key.qualifiedId() + " was not ready within " + timeout, null);
            this.timeout = timeout;
        }

        /** The timeout that passed. */
        public Duration timeout() {
            return timeout;
        }
    }

    /** The waiting thread was interrupted, or the store was closed. */
    public static final class Interrupted extends AdapterCacheException {
        public Interrupted(AdapterKey key, String message, Throwable cause) {
            super(key, message, cause);
        }
    }

    /**
     * The adapter passed the store's checks, but the {@link AdapterDecoder} rejected its payload (the cause says why). It
     * is not kept in memory; every read decodes it again.
     */
    public static final class Undecodable extends AdapterCacheException {
        public Undecodable(AdapterKey key, Throwable cause) {
            super(key, "adapter " + key.qualifiedId() + " could not be decoded: " + cause.getMessage(), cause);
        }
    }
}
