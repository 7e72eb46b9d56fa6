package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A lookup by id that cannot tell whether the adapter exists says so instead of answering "absent", and an entry this
 * instance cannot read because of its own limit is left in place for the instances that can.
 */
class OutageIsNotAbsenceTest extends WithRedisAndS3 {

    /** S3 at a port where nothing listens: every call fails at once (connection refused). */
    private static AdapterCacheConfig.S3 deadS3(String bucket) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        return AdapterCacheConfig.S3
                .builder(bucket)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .credentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)
                .timeout(Duration.ofSeconds(2))
                .build();
    }

    @Test
    void get_durableTierDown_throwsUnavailableInsteadOfEmpty() throws IOException {
        AdapterKey key = TestSupport.key("during-s3-outage");
        AdapterCacheConfig config =
                TestSupport.configBuilder(redis, s3, bucket).s3(deadS3(bucket)).build();
        try (TieredAdapterStore store = TestSupport.store(config)) {
            AdapterCacheException.Unavailable first =
                    assertThrows(AdapterCacheException.Unavailable.class, () -> store.get(key));
            // The tier is now marked down and skipped: still not an absence.
            assertThrows(AdapterCacheException.Unavailable.class, () -> store.get(key));
            assertTrue(first.getMessage().contains("s3"), first.getMessage());
        }
    }

    @Test
    void get_durableTierDownButRedisHoldsIt_servesFromRedis() throws IOException {
        AdapterKey key = TestSupport.key("in-redis-during-s3-outage");
        byte[] payload = TestSupport.payload(1024, 50);
        // Redis must answer here even on a saturated machine (a Redis timeout too would rightly be a 503).
        AdapterCacheConfig.Redis patientRedis =
                TestSupport.redis(redis).timeout(Duration.ofSeconds(15)).build();
        try (TieredAdapterStore writer = TestSupport.store(
                TestSupport.configBuilder(redis, s3, bucket).redis(patientRedis).build())) {
            writer.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
        }
        AdapterCacheConfig config = TestSupport.configBuilder(redis, s3, bucket)
                .s3(deadS3(bucket))
                .redis(patientRedis)
                .build();
        try (TieredAdapterStore store = TestSupport.store(config)) {
            AdapterResult r = store.get(key).orElseThrow();
            assertEquals(AdapterSource.REDIS, r.source());
            assertArrayEquals(payload, r.adapter().payloadBytes());
        }
    }

    @Test
    void get_unknownIdWithEveryTierUp_isEmpty() {
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket))) {
            assertTrue(store.get(TestSupport.key("never-stored")).isEmpty());
        }
    }

    @Test
    void get_entryLargerThanThisInstancesLimit_isLeftInS3AndRedisAndNotAbsent() {
        AdapterKey key = TestSupport.key("larger-than-my-limit");
        byte[] payload = TestSupport.payload(4096, 51);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore writer = TestSupport.store(TestSupport.config(redis, s3, bucket));
                Resp resp = redis.resp()) {
            writer.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
            byte[] stored = s3.getObject(bucket, objectKey(key));
            AdapterCacheConfig small = TestSupport.configBuilder(redis, s3, bucket)
                    .maxAdapterBytes(1000)
                    .build();
            try (TieredAdapterStore reader = TestSupport.store(small, registry)) {
                assertThrows(AdapterCacheException.Unavailable.class, () -> reader.get(key));
            }

            assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "tier", "redis", "reason", "too-large"));
            assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "tier", "s3", "reason", "too-large"));
            assertArrayEquals(stored, s3.getObject(bucket, objectKey(key)), "still in S3");
            assertNotNull(resp.getBytes("as:adapter:" + key.id()), "still in Redis");
            assertArrayEquals(payload, writer.get(key).orElseThrow().adapter().payloadBytes());
        }
    }
}
