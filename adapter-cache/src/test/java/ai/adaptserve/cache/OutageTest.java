package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.count;
import static ai.adaptserve.cache.TestSupport.gauge;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Redis or S3 stopped in the middle of a test and started again: requests keep being served. */
class OutageTest {

    @RegisterExtension
    final RedisServer redis = new RedisServer();

    /** An S3 endpoint of this class's own, since its tests stop it. */
    private static S3Proxy ownS3;

    @BeforeAll
    static void startOwnS3() {
        ownS3 = S3Proxy.start();
    }

    @AfterAll
    static void stopOwnS3() {
        ownS3.close();
    }

    @Test
    void get_redisStoppedAndRestarted_servesFromS3AndMemoryThenUsesRedisAgain() {
        S3Proxy s3 = S3Proxy.shared();
        String bucket = s3.newBucket();
        AdapterKey before = TestSupport.key("before-redis-outage");
        AdapterKey during = TestSupport.key("during-redis-outage");
        AdapterKey after = TestSupport.key("after-redis-outage");
        byte[] payload = TestSupport.payload(4096, 20);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        try (TieredAdapterStore writer = TestSupport.store(config)) {
            writer.put(before, TrainedAdapter.of(AdapterKind.LORA, payload));
        }
        try (TieredAdapterStore store = TestSupport.store(config, registry)) {
            redis.stop();

            AdapterResult fromS3 = store.get(before).orElseThrow();
            AdapterResult trained =
                    store.getOrCreate(during, TestSupport.trainer(calls, payload), Duration.ofSeconds(30));

            assertEquals(AdapterSource.S3, fromS3.source());
            assertArrayEquals(payload, fromS3.adapter().payloadBytes());
            assertEquals(AdapterSource.TRAINED, trained.source());
            assertTrue(trained.durable(), "S3 still works");
            assertEquals(1, calls.get());
            assertEquals(0.0, gauge(registry, CacheMetrics.TIER_UP, "tier", "redis"));
            assertTrue(count(registry, CacheMetrics.TIER_ERRORS, "tier", "redis") >= 1);
            assertEquals(AdapterSource.MEMORY, store.get(before).orElseThrow().source());

            redis.start();
            TestSupport.await(
                    () -> {
                        store.get(TestSupport.key("probe")); // any lookup probes Redis once per retry interval
                        return gauge(registry, CacheMetrics.TIER_UP, "tier", "redis") == 1.0;
                    },
                    Duration.ofSeconds(20),
                    "Redis back in use");
            store.put(after, TrainedAdapter.of(AdapterKind.LORA, payload));
            try (Resp resp = redis.resp()) {
                assertTrue(resp.exists("as:adapter:" + after.id()), "written to Redis again");
            }
        }
    }

    @Test
    void getOrCreate_s3StoppedAndRestarted_servesFromRedisAndMemoryAndWritesPendingAdaptersWhenBack() {
        S3Proxy s3 = ownS3;
        try (Resp resp = redis.resp()) {
            String bucket = s3.newBucket();
            AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
            AdapterKey before = TestSupport.key("before-s3-outage");
            AdapterKey during = TestSupport.key("during-s3-outage");
            byte[] payload = TestSupport.payload(4096, 21);
            String objectKey = "adapters/" + TestSupport.BASE + "/" + during.id();
            SimpleMeterRegistry registryA = new SimpleMeterRegistry();
            AtomicInteger calls = new AtomicInteger();
            try (TieredAdapterStore writer = TestSupport.store(config)) {
                writer.put(before, TrainedAdapter.of(AdapterKind.LORA, payload));
            }
            try (TieredAdapterStore a = TestSupport.store(config, registryA);
                    TieredAdapterStore b = TestSupport.store(config)) {
                s3.stopProcess();

                AdapterResult served = b.get(before).orElseThrow();
                AdapterResult trained =
                        a.getOrCreate(during, TestSupport.trainer(calls, payload), Duration.ofSeconds(30));

                assertEquals(AdapterSource.REDIS, served.source(), "Redis serves while S3 is down");
                assertEquals(AdapterSource.TRAINED, trained.source());
                assertFalse(trained.durable(), "not durable while S3 is down");
                assertFalse(resp.exists("as:adapter:" + during.id()), "not announced as durable");
                assertTrue(resp.exists("as:pending:" + during.id()), "shared as pending");
                assertEquals(0.0, gauge(registryA, CacheMetrics.TIER_UP, "tier", "s3"));
                assertEquals(1, a.pendingDurableCount());
                AdapterResult elsewhere = b.getOrCreate(during, TestSupport.neverCalled(), Duration.ofSeconds(30));
                assertEquals(AdapterSource.REDIS, elsewhere.source(), "the other instance does not train it again");
                assertFalse(elsewhere.durable());
                assertEquals(1, calls.get());

                s3.startProcess();
                TestSupport.await(
                        () -> a.pendingDurableCount() == 0 && b.pendingDurableCount() == 0,
                        Duration.ofSeconds(30),
                        "pending adapters written to S3");

                assertNotNull(s3.getObject(bucket, objectKey));
                assertTrue(resp.exists("as:adapter:" + during.id()), "announced once durable");
                assertFalse(resp.exists("as:pending:" + during.id()));
                assertTrue(a.get(during).orElseThrow().durable());
                assertEquals(1.0, gauge(registryA, CacheMetrics.TIER_UP, "tier", "s3"));
            }
            try (TieredAdapterStore fresh = TestSupport.store(config)) {
                resp.call("DEL", "as:adapter:" + during.id());
                AdapterResult fromS3 = fresh.get(during).orElseThrow();
                assertEquals(AdapterSource.S3, fromS3.source());
                assertArrayEquals(payload, fromS3.adapter().payloadBytes());
            }
        }
    }

    @Test
    void getOrCreate_s3DownWithoutRedis_servesFromMemoryUntilDurable() {
        S3Proxy s3 = ownS3;
        String bucket = s3.newBucket();
        AdapterCacheConfig config = TestSupport.configBuilder(redis, s3, bucket)
                .redis(Optional.empty())
                .build();
        AdapterKey key = TestSupport.key("memory-only-while-s3-down");
        try (TieredAdapterStore store = TestSupport.store(config)) {
            s3.stopProcess();
            AdapterResult trained = store.getOrCreate(
                    key, TestSupport.trainer(new AtomicInteger(), new byte[] {7}), Duration.ofSeconds(30));

            assertFalse(trained.durable());
            AdapterResult again = store.get(key).orElseThrow();
            assertEquals(AdapterSource.MEMORY, again.source());
            assertFalse(again.durable());

            s3.startProcess();
            TestSupport.await(() -> store.pendingDurableCount() == 0, Duration.ofSeconds(30), "written");
            assertTrue(store.get(key).orElseThrow().durable());
            assertNotNull(s3.getObject(bucket, "adapters/" + TestSupport.BASE + "/" + key.id()));
        }
    }

    @Test
    void getOrCreate_redisDownAtStartup_trainsAndServes() {
        S3Proxy s3 = S3Proxy.shared();
        String bucket = s3.newBucket();
        redis.stop();
        AdapterKey key = TestSupport.key("redis-never-up");
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket))) {
            AdapterResult r = store.getOrCreate(
                    key, TestSupport.trainer(new AtomicInteger(), new byte[] {1}), Duration.ofSeconds(30));
            assertTrue(r.durable());
            assertEquals(AdapterSource.MEMORY, store.get(key).orElseThrow().source());
        }
    }
}
