package ai.adaptserve.cache;

import java.net.URI;
import java.time.Duration;

/**
 * A second instance in its own JVM, for the "lock holder dies" test: it takes the fleet lock for a key, prints
 * {@code TRAINING} and trains forever, until the test kills the process.
 *
 * <p>Arguments: redis-url s3-endpoint bucket base-fingerprint adapter-id lock-ttl-millis.
 */
public final class LockHolderMain {

    private LockHolderMain() {}

    public static void main(String[] args) throws Exception {
        AdapterCacheConfig config = AdapterCacheConfig.defaults()
                .withRedis(AdapterCacheConfig.Redis.of(args[0]))
                .withS3(AdapterCacheConfig.S3
                        .of(args[2])
                        .withEndpoint(URI.create(args[1]))
                        .withCredentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY))
                .withLock(AdapterCacheConfig.Lock.defaults().withTtl(Duration.ofMillis(Long.parseLong(args[5]))));
        AdapterKey key = AdapterKey.of(args[3], args[4]);
        try (TieredAdapterStore store =
                TieredAdapterStore.builder(config).instanceId("doomed").build()) {
            store.getOrCreate(
                    key,
                    k -> {
                        System.out.println("TRAINING");
                        System.out.flush();
                        Thread.sleep(Long.MAX_VALUE);
                        throw new IllegalStateException("unreachable");
                    },
                    Duration.ofHours(1));
        }
    }
}
