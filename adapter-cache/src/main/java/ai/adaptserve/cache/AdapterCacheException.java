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
     * The adapter cannot be answered for now: a tier that may hold it is down or timed out, or holds an entry this
     * instance cannot read (larger than its {@code max-adapter-bytes}, or of a newer format). Not an absence: the same
     * request may succeed later or on another instance.
     */
    public static final class Unavailable extends AdapterCacheException {
        public Unavailable(AdapterKey key, String message) {
            super(key, message, null);
        }
    }

    /**
     * A stored entry for the key is intact but not authenticated: its HMAC does not match this instance's
     * {@code hmac-key} (or it has none while a key is configured). It is refused and left in place.
     */
    public static final class Unauthenticated extends AdapterCacheException {
        public Unauthenticated(AdapterKey key, String message) {
            super(key, message, null);
        }
    }

    /**
     * The key's tenant stores at least {@code quota.max-bytes-per-tenant} bytes of adapters: no new training for it.
     */
    public static final class QuotaExceeded extends AdapterCacheException {
        private final long limitBytes;

        public QuotaExceeded(AdapterKey key, String message, long limitBytes) {
            super(key, message, null);
            this.limitBytes = limitBytes;
        }

        /** The quota, in bytes. */
        public long limitBytes() {
            return limitBytes;
        }
    }

    /** The training queue of this instance is full: nothing was queued; retry later. */
    public static final class Overloaded extends AdapterCacheException {
        public Overloaded(AdapterKey key, String message) {
            super(key, message, null);
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
