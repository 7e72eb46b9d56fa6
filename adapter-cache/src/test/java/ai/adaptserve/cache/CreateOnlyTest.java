package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes that cannot overwrite: the first entry of a key stays in every tier, and a training whose fleet lock was lost
 * is abandoned instead of written. Two stores on one real redis-server and s3proxy play two instances.
 */
class CreateOnlyTest extends WithRedisAndS3 {

    @Test
    void getOrCreate_lockForcedToExpireMidTraining_oneStoredObjectByteIdenticalInEveryTier() throws Exception {
        AdapterKey key = TestSupport.key("lock-expires-mid-training");
        byte[] payloadA = TestSupport.payload(4096, 41);
        byte[] payloadB = TestSupport.payload(4096, 42);
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        SimpleMeterRegistry registryA = new SimpleMeterRegistry();
        CountDownLatch aTraining = new CountDownLatch(1);
        CountDownLatch aMayFinish = new CountDownLatch(1);
        try (TieredAdapterStore a = TestSupport.store(config, registryA);
                TieredAdapterStore b = TestSupport.store(config);
                Resp resp = redis.resp()) {
            CompletableFuture<AdapterResult> first =
                    TestSupport.trainWhenReleased(a, key, payloadA, aTraining, aMayFinish);
            assertTrue(aTraining.await(30, TimeUnit.SECONDS), "instance A trains");
            // The lock expires under A (as after a long pause), in Redis and on S3: B takes it and trains the same key.
            resp.call("DEL", "as:lock:" + key.id());
            s3.client().deleteObject(r -> r.bucket(bucket).key(leaseKey(key))).join();
            AdapterResult second = b.getOrCreate(
                    key, k -> TrainedAdapter.of(AdapterKind.LORA, payloadB.clone()), Duration.ofSeconds(30));
            aMayFinish.countDown();
            AdapterResult firstResult = first.get(60, TimeUnit.SECONDS);

            byte[] inS3 = s3.getObject(bucket, objectKey(key));
            byte[] inRedis = resp.getBytes("as:adapter:" + key.id());
            assertEquals(List.of(objectKey(key)), objectsInBucket(), "one stored object (and no lease left)");
            assertArrayEquals(payloadB, second.adapter().payloadBytes());
            assertArrayEquals(payloadB, firstResult.adapter().payloadBytes(), "A serves B's adapter, not its own");
            assertArrayEquals(inS3, inRedis, "Redis holds the S3 bytes");
            assertArrayEquals(inS3, second.adapter().envelope());
            assertArrayEquals(inS3, a.get(key).orElseThrow().adapter().envelope(), "A's memory holds the S3 bytes");
            assertEquals(1, count(registryA, CacheMetrics.TRAININGS_ABANDONED));
        }
    }

    @Test
    void put_secondWriterOfAKey_getsTheFirstEntryAndS3AndRedisKeepIt() {
        AdapterKey key = TestSupport.key("two-writers");
        byte[] payloadA = TestSupport.payload(2048, 43);
        byte[] payloadB = TestSupport.payload(2048, 44);
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        try (TieredAdapterStore a = TestSupport.store(config);
                TieredAdapterStore b = TestSupport.store(config);
                Resp resp = redis.resp()) {
            AdapterResult first = a.put(key, TrainedAdapter.of(AdapterKind.LORA, payloadA));
            resp.call("DEL", "as:adapter:" + key.id()); // so B's write would reach Redis if it were allowed to
            AdapterResult second = b.put(key, TrainedAdapter.of(AdapterKind.LORA, payloadB));

            assertArrayEquals(payloadA, second.adapter().payloadBytes(), "B is given the first entry");
            assertArrayEquals(first.adapter().envelope(), s3.getObject(bucket, objectKey(key)), "S3 not replaced");
            assertArrayEquals(first.adapter().envelope(), resp.getBytes("as:adapter:" + key.id()));
        }
    }

    @Test
    void put_secondWriterInTheLocalDirectory_doesNotReplaceTheFile(@TempDir Path dir) throws Exception {
        AdapterKey key = TestSupport.key("two-local-writers");
        byte[] payloadA = TestSupport.payload(512, 45);
        try (TieredAdapterStore a = TestSupport.store(TestSupport.localConfig(dir));
                TieredAdapterStore b = TestSupport.store(TestSupport.localConfig(dir))) {
            AdapterResult first = a.put(key, TrainedAdapter.of(AdapterKind.LORA, payloadA));
            AdapterResult second = b.put(key, TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(512, 46)));

            Path file = dir.resolve("adapters").resolve(key.baseFingerprint()).resolve(key.id());
            assertArrayEquals(first.adapter().envelope(), Files.readAllBytes(file));
            assertArrayEquals(payloadA, second.adapter().payloadBytes());
            try (var files = Files.list(file.getParent())) {
                assertEquals(1, files.count(), "no temporary file left behind");
            }
        }
    }

    @Test
    void tryAcquire_retriedBySameInstance_isTheSameLeaseAndAnotherInstanceIsRefused() throws Exception {
        AdapterKey key = TestSupport.key("idempotent-lock");
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try (RedisTier tier = new RedisTier(vertx, config.redis().orElseThrow())) {
            FleetTrainingLock mine = new FleetTrainingLock(tier, Duration.ofSeconds(5), "instance-a");
            FleetTrainingLock other = new FleetTrainingLock(tier, Duration.ofSeconds(5), "instance-b");

            FleetTrainingLock.Lease lease = mine.tryAcquire(key).orElseThrow();
            FleetTrainingLock.Lease again = mine.tryAcquire(key).orElseThrow();

            assertEquals(lease, again, "a retry is the same lease, not a second holder");
            assertFalse(other.tryAcquire(key).isPresent());
            assertTrue(mine.holds(lease));
            assertTrue(mine.release(lease));
            assertFalse(mine.holds(lease));
        } finally {
            vertx.close();
        }
    }
}
