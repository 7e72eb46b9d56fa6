package ai.adaptserve.cache;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A fresh real redis-server per test and a fresh bucket in the shared s3proxy, for tests of the remote tiers. */
abstract class WithRedisAndS3 {

    @RegisterExtension
    final RedisServer redis = new RedisServer();

    final S3Proxy s3 = S3Proxy.shared();
    String bucket;

    @BeforeEach
    void newBucket() {
        bucket = s3.newBucket();
    }
}
