package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Damaged bytes planted in Redis and in S3 are detected, deleted, counted, and the adapter is rebuilt. */
class CorruptionTest extends WithRedisAndS3 {

    @Test
    void get_flippedByteInRedis_deletesItCountsItAndServesFromS3() {
        AdapterKey key = TestSupport.key("flipped-in-redis");
        byte[] payload = TestSupport.payload(4096, 30);
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore writer = TestSupport.store(config);
                Resp resp = redis.resp()) {
            writer.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
            byte[] stored = resp.getBytes("as:adapter:" + key.id());
            stored[stored.length - 100] ^= 0x01;
            resp.call("SET", "as:adapter:" + key.id(), stored);

            try (TieredAdapterStore reader = TestSupport.store(config, registry)) {
                AdapterResult r = reader.get(key).orElseThrow();

                assertEquals(AdapterSource.S3, r.source());
                assertArrayEquals(payload, r.adapter().payloadBytes());
                assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "tier", "redis", "reason", "checksum"));
                assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES));
                TestSupport.await(
                        () -> {
                            byte[] now = resp.getBytes("as:adapter:" + key.id());
                            return now != null
                                    && java.util.Arrays.equals(
                                            now,
                                            writer.get(key)
                                                    .orElseThrow()
                                                    .adapter()
                                                    .envelope());
                        },
                        Duration.ofSeconds(5),
                        "Redis entry rebuilt from S3");
            }
        }
    }

    @Test
    void get_truncatedAndForeignValuesInRedis_areBadEntriesAndMisses() {
        AdapterKey truncated = TestSupport.key("truncated");
        AdapterKey wrongType = TestSupport.key("wrong-type");
        AdapterKey misplaced = TestSupport.key("misplaced");
        AdapterCacheConfig withRedis = TestSupport.config(redis, s3, bucket);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore writer = TestSupport.store(withRedis);
                Resp resp = redis.resp()) {
            writer.put(truncated, TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(1000, 31)));
            byte[] whole = resp.getBytes("as:adapter:" + truncated.id());
            resp.call("SET", "as:adapter:" + truncated.id(), java.util.Arrays.copyOf(whole, whole.length / 2));
            resp.call("SET", "as:adapter:" + misplaced.id(), whole); // a valid envelope, of another key
            resp.call("HSET", "as:adapter:" + wrongType.id(), "field", "value");

            try (TieredAdapterStore reader = TestSupport.store(withRedis, registry)) {
                assertEquals(
                        AdapterSource.S3, reader.get(truncated).orElseThrow().source());
                assertTrue(reader.get(misplaced).isEmpty());
                assertTrue(reader.get(wrongType).isEmpty());

                assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "reason", "length"));
                assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "reason", "key-mismatch"));
                assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "reason", "wrong-type"));
                assertFalse(resp.exists("as:adapter:" + misplaced.id()));
                assertFalse(resp.exists("as:adapter:" + wrongType.id()));
                assertEquals(1.0, TestSupport.gauge(registry, CacheMetrics.TIER_UP, "tier", "redis"), "not an outage");
            }
        }
    }

    @Test
    void getOrCreate_corruptObjectInS3_deletesItAndRetrains() {
        AdapterKey key = TestSupport.key("corrupt-in-s3");
        byte[] payload = TestSupport.payload(4096, 32);
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore writer = TestSupport.store(config);
                Resp resp = redis.resp()) {
            writer.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
            resp.call("DEL", "as:adapter:" + key.id());
            byte[] stored = s3.getObject(bucket, objectKey(key));
            stored[20] ^= 0x40; // inside the header
            s3.putObject(bucket, objectKey(key), stored);

            AtomicInteger calls = new AtomicInteger();
            try (TieredAdapterStore reader = TestSupport.store(config, registry)) {
                AdapterResult r = reader.getOrCreate(key, TestSupport.trainer(calls, payload), Duration.ofSeconds(30));

                assertEquals(AdapterSource.TRAINED, r.source());
                assertEquals(1, calls.get());
                assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "tier", "s3", "reason", "checksum"));
                assertArrayEquals(r.adapter().envelope(), s3.getObject(bucket, objectKey(key)), "rebuilt in S3");
                assertTrue(resp.exists("as:adapter:" + key.id()));
            }
        }
    }

    @Test
    void get_garbageAndEmptyObjectsInS3_areDeleted() {
        AdapterKey garbage = TestSupport.key("garbage");
        AdapterKey empty = TestSupport.key("empty");
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        s3.putObject(bucket, objectKey(garbage), TestSupport.payload(10_000, 33));
        s3.putObject(bucket, objectKey(empty), new byte[0]);
        try (TieredAdapterStore reader = TestSupport.store(config, registry)) {
            assertTrue(reader.get(garbage).isEmpty());
            assertTrue(reader.get(empty).isEmpty());

            assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "tier", "s3", "reason", "magic"));
            assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "tier", "s3", "reason", "truncated"));
            assertNull(s3.getObject(bucket, objectKey(garbage)));
            assertNull(s3.getObject(bucket, objectKey(empty)));
        }
    }

    @Test
    void get_oversizedObjectInS3_readsOnlyTheBoundAndDeletesIt() {
        AdapterKey key = TestSupport.key("oversized");
        AdapterCacheConfig config = TestSupport.configBuilder(redis, s3, bucket)
                .maxAdapterBytes(1000)
                .build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        s3.putObject(bucket, objectKey(key), TestSupport.payload(200_000, 34));
        try (TieredAdapterStore reader = TestSupport.store(config, registry)) {
            assertTrue(reader.get(key).isEmpty());

            assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "tier", "s3"));
            assertTrue(count(registry, CacheMetrics.BYTES_READ, "tier", "s3") == 0.0);
            assertNull(s3.getObject(bucket, objectKey(key)));
        }
    }
}
