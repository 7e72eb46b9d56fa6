package ai.adaptserve.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.util.Locale;
import java.util.Optional;

/**
 * The in-process tier: verified, immutable adapters in a Caffeine cache bounded by bytes. Each adapter is held once:
 * with an {@link AdapterDecoder}, decoded (the decoder's value and the adapter's metadata, weighed by the decoder, the
 * payload bytes dropped); without one, as stored (weighed by its stored length).
 *
 * <p>Entries are the {@link StoredAdapter} objects themselves, checked when they entered the process; reads only
 * compare the key (nothing outside this process can change them), so a memory hit costs no hashing and no decoding.
 */
final class MemoryTier {

    private final Cache<String, StoredAdapter> cache;
    private final long maxBytes;
    private final AdapterDecoder<?> decoder;

    /** {@code decoder} may be null: adapters are then kept as stored. */
    MemoryTier(long maxBytes, AdapterDecoder<?> decoder, CacheMetrics metrics) {
        this.maxBytes = maxBytes;
        this.decoder = decoder;
        this.cache = maxBytes == 0
                ? null
                : Caffeine.newBuilder()
                        .maximumWeight(maxBytes)
                        .weigher((String id, StoredAdapter adapter) ->
                                (int) Math.min(Integer.MAX_VALUE, adapter.memoryWeight()))
                        .executor(Runnable::run)
                        .evictionListener((String id, StoredAdapter adapter, RemovalCause cause) ->
                                metrics.evicted(cause.name().toLowerCase(Locale.ROOT)))
                        .build();
        metrics.gauge(CacheMetrics.MEMORY_BYTES, "Bytes held by the in-process tier", this::weightedBytes);
    }

    boolean enabled() {
        return cache != null;
    }

    Optional<StoredAdapter> get(AdapterKey key) {
        if (cache == null) {
            return Optional.empty();
        }
        StoredAdapter adapter = cache.getIfPresent(key.qualifiedId());
        if (adapter != null && !adapter.key().equals(key)) {
            // Same qualified id but another base fingerprint: not this adapter.
            return Optional.empty();
        }
        return Optional.ofNullable(adapter);
    }

    /**
     * Decodes {@code adapter} (with a decoder) and keeps it if it fits and decoded cleanly.
     *
     * @return the adapter as callers get it: decoded, or (when the decoder rejected it) with the payload and the failure
     */
    StoredAdapter put(StoredAdapter adapter) {
        StoredAdapter kept = decoder == null ? adapter : adapter.decodedWith(decoder);
        if (cache != null && !kept.undecodable() && kept.memoryWeight() <= maxBytes) {
            cache.put(kept.key().qualifiedId(), kept);
        }
        return kept;
    }

    void invalidate(AdapterKey key) {
        if (cache != null) {
            cache.invalidate(key.qualifiedId());
        }
    }

    long weightedBytes() {
        return cache == null
                ? 0
                : cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    long size() {
        return cache == null ? 0 : cache.estimatedSize();
    }

    void cleanUp() {
        if (cache != null) {
            cache.cleanUp();
        }
    }
}
