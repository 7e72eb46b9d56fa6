package ai.adaptserve.function.auth;

import ai.adaptserve.function.config.AdaptServeConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * The request rate of each API key: a {@link TokenBucket} per key ({@code adaptserve.auth.rate-per-second},
 * {@code adaptserve.auth.burst}). Only keys from the keys file get a bucket, so the map is as large as that file.
 */
@ApplicationScoped
public class RateLimiter {

    private final double ratePerSecond;
    private final int burst;
    private final LongSupplier clock;
    private final ConcurrentMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    @Inject
    RateLimiter(AdaptServeConfig config) {
        this(config.auth().ratePerSecond(), config.auth().burst(), System::nanoTime);
    }

    RateLimiter(double ratePerSecond, int burst, LongSupplier clock) {
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.clock = clock;
    }

    /** Counts one request of {@code key}: 0 if it may go on, else the nanoseconds until it may. */
    public long acquire(ApiKey key) {
        long now = clock.getAsLong();
        return buckets.computeIfAbsent(key.hashHex(), k -> new TokenBucket(ratePerSecond, burst, now))
                .tryTake(now);
    }

    public double ratePerSecond() {
        return ratePerSecond;
    }

    public int burst() {
        return burst;
    }
}
