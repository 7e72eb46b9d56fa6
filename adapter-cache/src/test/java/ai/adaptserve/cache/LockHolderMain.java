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
        AdapterCacheConfig config = AdapterCacheConfig.builder()
                .redis(AdapterCacheConfig.Redis.of(args[0]))
                .s3(AdapterCacheConfig.S3
                        .builder(args[2])
                        .endpoint(URI.create(args[1]))
                        .credentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)
                        .build())
                .lock(AdapterCacheConfig.Lock.builder()
                        .ttl(Duration.ofMillis(Long.parseLong(args[5])))
                        .build())
                .build();
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
