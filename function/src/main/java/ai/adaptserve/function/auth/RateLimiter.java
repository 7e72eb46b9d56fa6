package ai.adaptserve.function.auth;

import ai.adaptserve.function.settings.AdaptServeConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * The request rate of each API key: a {@link TokenBucket} per key ({@code adaptserve.auth.rate-per-second},
 * {@code adaptserve.auth.burst}). Only keys from the keys file get a bucket, so the map is as large as that file.
 */
@Singleton
public class RateLimiter {

    static final String RATE = "adaptserve.auth.rate-per-second";
    static final String BURST = "adaptserve.auth.burst";

    private final double ratePerSecond;
    private final int burst;
    private final LongSupplier clock;
    private final ConcurrentMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    @Inject
    RateLimiter(AdaptServeConfig config) {
        this(config.auth().ratePerSecond(), config.auth().burst(), System::nanoTime);
    }

    RateLimiter(double ratePerSecond, int burst, LongSupplier clock) {
        check(ratePerSecond, burst);
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.clock = clock;
    }

    /** A {@link ConfigurationException} naming the key of a rate or burst that cannot be used. */
    static void check(double ratePerSecond, int burst) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new ConfigurationException(RATE + " must be a positive number, was " + ratePerSecond, Set.of(RATE));
        }
        if (burst < 1) {
            throw new ConfigurationException(BURST + " must be at least 1, was " + burst, Set.of(BURST));
        }
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
