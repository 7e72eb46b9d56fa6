package ai.adaptserve.function.adapter;

import ai.adaptserve.cache.StoredAdapter;
import ai.adaptserve.function.config.AdaptServeConfig;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.adapter.MalformedAdapterException;
import ai.adaptserve.model.config.ModelConfig;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/**
 * Adapters parsed and verified for the forward pass, by base model and payload SHA-256, so that a hot adapter costs a
 * map lookup rather than a parse (checksum over every tensor, shape checks, float conversion) per request. Bounded by
 * the adapters' F32 parameter bytes ({@code adaptserve.adapters.parsed-cache-bytes}). Thread-safe.
 */
@ApplicationScoped
class ParsedAdapters {

    private final Cache<String, AdapterFile.Read> cache;
    private final AdapterMetrics metrics;

    @Inject
    ParsedAdapters(AdaptServeConfig config, AdapterMetrics metrics) {
        this(config.adapters().parsedCacheBytes().asLongValue(), metrics);
    }

    ParsedAdapters(long maxBytes, AdapterMetrics metrics) {
        this.metrics = metrics;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .<String, AdapterFile.Read>weigher(
                        (k, v) -> (int) Math.min(Integer.MAX_VALUE, v.adapter().parameterBytes()))
                .build();
    }

    /**
     * The adapter of {@code stored}, parsed and verified against the base model, from this cache or parsed now.
     *
     * @throws MalformedAdapterException if the payload fails verification (it is not cached)
     */
    AdapterFile.Read get(StoredAdapter stored, String baseFingerprint, ModelConfig config)
            throws MalformedAdapterException {
        String key = key(baseFingerprint, stored.payloadSha256());
        AdapterFile.Read read = cache.getIfPresent(key);
        metrics.parsedCache(read != null);
        if (read != null) {
            return read;
        }
        long start = System.nanoTime();
        try {
            read = AdapterFile.fromBytes(stored.payloadBytes(), baseFingerprint, config);
        } catch (MalformedAdapterException | RuntimeException e) {
            metrics.parsed(false, Duration.ofNanos(System.nanoTime() - start));
            if (e instanceof MalformedAdapterException m) {
                throw m;
            }
            // The parser's own checks throw MalformedAdapterException; anything else is still bad bytes, not a bug
            // worth a 500 with no explanation.
            throw new MalformedAdapterException("unreadable adapter file: " + e, e);
        }
        metrics.parsed(true, Duration.ofNanos(System.nanoTime() - start));
        cache.put(key, read);
        return read;
    }

    /** Remembers an adapter this instance made itself, under the SHA-256 (hex) of the payload it was written as. */
    void put(String baseFingerprint, String payloadSha256, AdapterFile.Read read) {
        cache.put(key(baseFingerprint, payloadSha256), read);
    }

    private static String key(String baseFingerprint, String payloadSha256) {
        return baseFingerprint + "/" + payloadSha256;
    }
}
