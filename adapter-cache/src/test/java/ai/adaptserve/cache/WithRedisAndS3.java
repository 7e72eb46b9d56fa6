package ai.adaptserve.cache;

import java.util.List;
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

    /** The S3 key of an adapter without a tenant, with no prefix configured. */
    static String objectKey(AdapterKey key) {
        return "adapters/" + key.baseFingerprint() + "/" + key.id();
    }

    /** The S3 key of an adapter's training lease, with no prefix configured. */
    static String leaseKey(AdapterKey key) {
        return "adapters/.leases/" + key.baseFingerprint() + "/" + key.id();
    }

    /** Every key in this test's bucket. */
    List<String> objectsInBucket() {
        return s3.client().listObjectsV2(r -> r.bucket(bucket)).join().contents().stream()
                .map(o -> o.key())
                .toList();
    }

    /** Starts {@link LockHolderMain} in a child JVM that takes the fleet lock of {@code key} and holds it. */
    Process startLockHolder(AdapterKey key, String holdMillis) throws java.io.IOException {
        return new ProcessBuilder(
                        Processes.java(),
                        "-Xmx256m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-Djava.util.logging.config.file=" + System.getProperty("java.util.logging.config.file", ""),
                        "-cp",
                        System.getProperty("java.class.path"),
                        LockHolderMain.class.getName(),
                        redis.url(),
                        s3.endpoint().toString(),
                        bucket,
                        key.baseFingerprint(),
                        key.id(),
                        holdMillis)
                .redirectErrorStream(true)
                .start();
    }
}
