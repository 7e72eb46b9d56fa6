package ai.adaptserve.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.util.Locale;
import java.util.Optional;

/**
 * The in-process tier: verified, immutable adapters in a Caffeine cache bounded by stored bytes.
 *
 * <p>Entries are the {@link StoredAdapter} objects themselves, checked when they entered the process; reads only
 * compare the key (nothing outside this process can change them), so a memory hit costs no hashing.
 */
final class MemoryTier {

    private final Cache<String, StoredAdapter> cache;
    private final long maxBytes;

    MemoryTier(long maxBytes, CacheMetrics metrics) {
        this.maxBytes = maxBytes;
        this.cache = maxBytes == 0
                ? null
                : Caffeine.newBuilder()
                        .maximumWeight(maxBytes)
                        .weigher((String id, StoredAdapter adapter) -> adapter.storedLength())
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

    void put(StoredAdapter adapter) {
        if (cache != null && adapter.storedLength() <= maxBytes) {
            cache.put(adapter.key().qualifiedId(), adapter);
        }
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
