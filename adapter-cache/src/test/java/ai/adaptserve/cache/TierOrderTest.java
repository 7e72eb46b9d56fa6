package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Which tier serves, promotion to faster tiers, Redis TTL and size policy, against real Redis and S3. */
class TierOrderTest extends WithRedisAndS3 {

    @Test
    void put_always_writesS3ThenRedisThenMemory() {
        AdapterKey key = TestSupport.key("put");
        byte[] payload = TestSupport.payload(4096, 1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket), registry);
                Resp resp = redis.resp()) {
            AdapterResult result = store.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));

            assertTrue(result.durable());
            assertNotNull(s3.getObject(bucket, "adapters/" + TestSupport.BASE + "/" + key.id()));
            assertTrue(resp.exists("as:adapter:" + key.id()));
            AdapterResult again = store.get(key).orElseThrow();
            assertEquals(AdapterSource.MEMORY, again.source());
            assertArrayEquals(payload, again.adapter().payloadBytes());
            assertEquals(1, count(registry, CacheMetrics.WRITES, "tier", "s3", "result", "ok"));
            assertEquals(1, count(registry, CacheMetrics.WRITES, "tier", "redis", "result", "ok"));
        }
    }

    @Test
    void get_freshInstance_servesFromRedisThenMemory() {
        AdapterKey key = TestSupport.key("redis-then-memory");
        byte[] payload = TestSupport.payload(4096, 2);
        try (TieredAdapterStore writer = TestSupport.store(TestSupport.config(redis, s3, bucket))) {
            writer.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore reader = TestSupport.store(TestSupport.config(redis, s3, bucket), registry);
                Resp resp = redis.resp()) {
            AdapterResult first = reader.get(key).orElseThrow();
            AdapterResult second = reader.get(key).orElseThrow();

            assertEquals(AdapterSource.REDIS, first.source());
            assertEquals(AdapterSource.MEMORY, second.source());
            assertArrayEquals(payload, second.adapter().payloadBytes());
            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "memory", "result", "miss"));
            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "redis", "result", "hit"));
            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "memory", "result", "hit"));
            assertEquals(0, count(registry, CacheMetrics.GETS, "tier", "s3"));
            // the stored entry (payload and envelope) as Redis itself measures it
            long stored = (Long) resp.call("STRLEN", "as:adapter:" + key.id());
            assertTrue(stored > payload.length, "envelope around the payload: " + stored);
            assertEquals(stored, count(registry, CacheMetrics.BYTES_READ, "tier", "redis"));
        }
    }

    @Test
    void get_onlyInS3_servesFromS3AndPromotesToRedisAndMemory() {
        AdapterKey key = TestSupport.key("s3-only");
        byte[] payload = TestSupport.payload(10_000, 3);
        try (TieredAdapterStore writer = TestSupport.store(TestSupport.config(redis, s3, bucket));
                Resp resp = redis.resp()) {
            writer.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
            resp.call("DEL", "as:adapter:" + key.id());
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore reader = TestSupport.store(TestSupport.config(redis, s3, bucket), registry);
                Resp resp = redis.resp()) {
            AdapterResult first = reader.get(key).orElseThrow();

            assertEquals(AdapterSource.S3, first.source());
            assertArrayEquals(payload, first.adapter().payloadBytes());
            TestSupport.await(() -> resp.exists("as:adapter:" + key.id()), Duration.ofSeconds(5), "promoted to Redis");
            assertEquals(AdapterSource.MEMORY, reader.get(key).orElseThrow().source());
            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "redis", "result", "miss"));
            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "s3", "result", "hit"));
        }
        try (TieredAdapterStore third = TestSupport.store(TestSupport.config(redis, s3, bucket))) {
            assertEquals(AdapterSource.REDIS, third.get(key).orElseThrow().source());
        }
    }

    @Test
    void get_missingEverywhere_isEmptyAndCountsMissPerTier() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket), registry)) {
            assertTrue(store.get(TestSupport.key("nowhere")).isEmpty());

            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "memory", "result", "miss"));
            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "redis", "result", "miss"));
            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "s3", "result", "miss"));
        }
    }

    /**
     * The entry gets the configured TTL (an hour: read long before it could run out), and once Redis expires it (made
     * to expire now with {@code PEXPIREAT} in the past, instead of waiting on the clock) a fresh instance reads S3.
     */
    @Test
    void put_redisTtl_setsExpiryAndExpiredEntryFallsBackToS3() {
        AdapterKey key = TestSupport.key("ttl");
        Duration ttl = Duration.ofHours(1);
        AdapterCacheConfig config = TestSupport.configBuilder(redis, s3, bucket)
                .redis(TestSupport.redis(redis).ttl(ttl).build())
                .build();
        try (TieredAdapterStore store = TestSupport.store(config);
                Resp resp = redis.resp()) {
            store.put(key, TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(1000, 4)));
            long pttl = resp.pttl("as:adapter:" + key.id());

            // -1 would be no expiry; more than the TTL or far below it, another TTL than configured
            assertTrue(pttl > ttl.toMillis() / 2 && pttl <= ttl.toMillis(), "PTTL " + pttl);
            assertEquals(1L, resp.call("PEXPIREAT", "as:adapter:" + key.id(), "1"));
            assertFalse(resp.exists("as:adapter:" + key.id()), "expired");
        }
        try (TieredAdapterStore fresh = TestSupport.store(config)) {
            assertEquals(AdapterSource.S3, fresh.get(key).orElseThrow().source());
        }
    }

    @Test
    void put_largerThanRedisMaxValue_skipsRedisAndServesFromS3() {
        AdapterKey key = TestSupport.key("large");
        byte[] payload = TestSupport.payload(300_000, 5);
        AdapterCacheConfig config = TestSupport.configBuilder(redis, s3, bucket)
                .redis(TestSupport.redis(redis).maxValueBytes(100_000).build())
                .build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore store = TestSupport.store(config, registry);
                Resp resp = redis.resp()) {
            AdapterResult put = store.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));

            assertTrue(put.durable());
            assertFalse(resp.exists("as:adapter:" + key.id()));
            assertEquals(1, count(registry, CacheMetrics.WRITES, "tier", "redis", "result", "skipped"));
        }
        try (TieredAdapterStore fresh = TestSupport.store(config)) {
            AdapterResult got = fresh.get(key).orElseThrow();
            assertEquals(AdapterSource.S3, got.source());
            assertArrayEquals(payload, got.adapter().payloadBytes());
        }
    }

    @Test
    void getOrCreate_missingEverywhere_trainsOnceAndStoresInEveryTier() {
        AdapterKey key = TestSupport.key("train");
        AtomicInteger calls = new AtomicInteger();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket), registry);
                Resp resp = redis.resp()) {
            AdapterResult result = store.getOrCreate(
                    key, TestSupport.trainer(calls, TestSupport.payload(2048, 6)), Duration.ofSeconds(30));

            assertEquals(AdapterSource.TRAINED, result.source());
            assertTrue(result.durable());
            assertEquals(1, calls.get());
            assertTrue(resp.exists("as:adapter:" + key.id()));
            assertFalse(resp.exists("as:lock:" + key.id()), "lock released");
            assertEquals(
                    AdapterSource.MEMORY,
                    store.getOrCreate(key, TestSupport.neverCalled(), Duration.ofSeconds(5))
                            .source());
            assertEquals(1, count(registry, CacheMetrics.TRAININGS_STARTED));
            assertEquals(store.instanceId(), result.adapter().metadata().get("cache.trained-by"));
        }
    }
}
