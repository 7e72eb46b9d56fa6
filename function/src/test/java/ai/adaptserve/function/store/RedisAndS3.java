package ai.adaptserve.function.store;

import ai.adaptserve.cache.RedisServer;
import ai.adaptserve.cache.S3Proxy;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A real {@code redis-server} and s3proxy (the adapter-cache module's fixtures, each on its own free port) for one
 * application test, and the {@code adaptserve.cache.*} keys that point the packaged configuration at them (timeouts
 * as packaged; only the retry intervals shortened, so that a tier brought back is used again within the test, and the
 * write-behind bound). The test gets this object in its field of this type, to stop and start the servers.
 */
public class RedisAndS3 implements QuarkusTestResourceLifecycleManager {

    /** Bound of the write-behind queue: room for one adapter of the built-in model (about 340 kB), not two. */
    static final long WRITE_BEHIND_BYTES = 512 * 1024;

    private RedisServer redis;
    private S3Proxy s3;
    private String bucket;

    @Override
    public Map<String, String> start() {
        redis = RedisServer.launch();
        s3 = S3Proxy.start();
        bucket = s3.newBucket();
        return Map.ofEntries(
                Map.entry("adaptserve.cache.redis.url", redis.url()),
                Map.entry("adaptserve.cache.redis.retry-interval", "200ms"),
                Map.entry("adaptserve.cache.s3.bucket", bucket),
                Map.entry("adaptserve.cache.s3.endpoint", s3.endpoint().toString()),
                Map.entry("adaptserve.cache.s3.region", "us-east-1"),
                Map.entry("adaptserve.cache.s3.access-key-id", S3Proxy.ACCESS_KEY),
                Map.entry("adaptserve.cache.s3.secret-access-key", S3Proxy.SECRET_KEY),
                Map.entry("adaptserve.cache.s3.retry-interval", "200ms"),
                Map.entry("adaptserve.cache.write-behind.max-bytes", Long.toString(WRITE_BEHIND_BYTES)),
                Map.entry("adaptserve.cache.write-behind.retry-max", "500ms"));
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(this, new TestInjector.MatchesType(RedisAndS3.class));
    }

    @Override
    public void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (redis != null) {
            redis.stop();
        }
    }

    RedisServer redis() {
        return redis;
    }

    S3Proxy s3() {
        return s3;
    }

    String bucket() {
        return bucket;
    }
}
