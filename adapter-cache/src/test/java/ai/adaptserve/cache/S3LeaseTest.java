package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The fleet lock when Redis cannot arbitrate: the lease object on S3 ({@link S3TrainingLease}). Two stores on one real
 * s3proxy play two instances; Redis is a real redis-server that is stopped, or paused so that every call times out.
 */
class S3LeaseTest extends WithRedisAndS3 {

    /** Both instances ask at once; the trainer holds until the other instance waits (or 10 s, if it never does). */
    private void twoInstancesTrainOnce(String name) throws Exception {
        AdapterKey key = TestSupport.key(name);
        byte[] payload = TestSupport.payload(4096, 51);
        SimpleMeterRegistry registryA = new SimpleMeterRegistry();
        SimpleMeterRegistry registryB = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        try (TieredAdapterStore a = TestSupport.store(config, registryA);
                TieredAdapterStore b = TestSupport.store(config, registryB)) {
            AdapterTrainer trainer = k -> {
                calls.incrementAndGet();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (count(registryA, CacheMetrics.LOCK_WAITS) + count(registryB, CacheMetrics.LOCK_WAITS) == 0
                        && System.nanoTime() < until) {
                    Thread.sleep(10);
                }
                return TrainedAdapter.of(AdapterKind.LORA, payload.clone());
            };
            CompletableFuture<AdapterResult> fromA =
                    CompletableFuture.supplyAsync(() -> a.getOrCreate(key, trainer, Duration.ofSeconds(60)));
            CompletableFuture<AdapterResult> fromB =
                    CompletableFuture.supplyAsync(() -> b.getOrCreate(key, trainer, Duration.ofSeconds(60)));
            AdapterResult resultA = fromA.get(90, TimeUnit.SECONDS);
            AdapterResult resultB = fromB.get(90, TimeUnit.SECONDS);

            assertEquals(1, calls.get(), "one training across the two instances");
            assertArrayEquals(payload, resultA.adapter().payloadBytes());
            assertArrayEquals(resultA.adapter().envelope(), resultB.adapter().envelope(), "the same bytes");
            // The second instance may take the lease after the first released it, and then find the adapter stored.
            assertTrue(
                    count(registryA, CacheMetrics.LOCKS_TAKEN, "arbiter", "s3")
                                    + count(registryB, CacheMetrics.LOCKS_TAKEN, "arbiter", "s3")
                            >= 1,
                    "S3's lease arbitrated");
            assertEquals(
                    0,
                    count(registryA, CacheMetrics.TRAININGS_UNLOCKED)
                            + count(registryB, CacheMetrics.TRAININGS_UNLOCKED));
            assertEquals(List.of(objectKey(key)), objectsInBucket(), "the adapter, and no lease left");
        }
    }

    @Test
    void getOrCreate_redisStopped_twoInstancesTrainOnceUnderTheS3Lease() throws Exception {
        redis.stop();
        twoInstancesTrainOnce("redis-stopped");
    }

    @Test
    void getOrCreate_redisPausedSoEveryCallTimesOut_twoInstancesTrainOnceUnderTheS3Lease() throws Exception {
        // CLIENT PAUSE holds every other client's commands: the lock script times out, which must not read as "free".
        try (Resp resp = redis.resp()) {
            resp.call("CLIENT", "PAUSE", "60000", "ALL");
            twoInstancesTrainOnce("redis-paused");
        }
    }

    @Test
    void getOrCreate_leaseHolderProcessKilled_waiterTakesTheLeaseOverAndTrainsOnce() throws Exception {
        redis.stop();
        AdapterKey key = TestSupport.key("lease-holder-killed");
        byte[] payload = TestSupport.payload(4096, 52);
        Process holder = startLockHolder(key, "1500");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        try (TieredAdapterStore survivor = TestSupport.store(TestSupport.config(redis, s3, bucket), registry)) {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("TRAINING")) {
                // skip the child's log lines
            }
            assertEquals("TRAINING", line, "the child took the lease and started training");
            String lease = new String(s3.getObject(bucket, leaseKey(key)), StandardCharsets.UTF_8);
            assertTrue(lease.contains("holder=doomed\n") && lease.contains("generation=1\n"), lease);

            CompletableFuture<AdapterResult> result = CompletableFuture.supplyAsync(
                    () -> survivor.getOrCreate(key, TestSupport.trainer(calls, payload), Duration.ofSeconds(60)));
            TestSupport.await(
                    () -> count(registry, CacheMetrics.LOCK_WAITS) == 1, Duration.ofSeconds(20), "survivor waits");
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

            AdapterResult r = result.get(60, TimeUnit.SECONDS);
            assertEquals(AdapterSource.TRAINED, r.source());
            assertEquals(1, calls.get());
            assertArrayEquals(payload, r.adapter().payloadBytes());
            assertEquals("2", r.adapter().metadata().get("cache.fence"), "the lease's next generation");
            assertEquals(List.of(objectKey(key)), objectsInBucket(), "the adapter, and the lease released");
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void getOrCreate_holderLosesItsLeaseMidTraining_doesNotWriteAndServesTheNewHoldersAdapter() throws Exception {
        redis.stop();
        AdapterKey key = TestSupport.key("lease-lost");
        byte[] payloadA = TestSupport.payload(4096, 53);
        byte[] payloadB = TestSupport.payload(4096, 54);
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        SimpleMeterRegistry registryA = new SimpleMeterRegistry();
        CountDownLatch aTraining = new CountDownLatch(1);
        CountDownLatch aMayFinish = new CountDownLatch(1);
        try (TieredAdapterStore a = TestSupport.store(config, registryA);
                TieredAdapterStore b = TestSupport.store(config)) {
            CompletableFuture<AdapterResult> first =
                    TestSupport.trainWhenReleased(a, key, payloadA, aTraining, aMayFinish);
            assertTrue(aTraining.await(30, TimeUnit.SECONDS), "instance A trains");
            // Another instance takes the lease over (as after a pause of A longer than the TTL).
            s3.putObject(
                    bucket, leaseKey(key), "holder=usurper\nlease=x\ngeneration=2\n".getBytes(StandardCharsets.UTF_8));
            aMayFinish.countDown();
            TestSupport.await(
                    () -> count(registryA, CacheMetrics.TRAININGS_ABANDONED) == 1,
                    Duration.ofSeconds(20),
                    "A abandons its training");
            assertNull(s3.getObject(bucket, objectKey(key)), "A wrote nothing");

            // The usurper's adapter arrives and its lease goes: A serves that adapter.
            AdapterResult second = b.put(key, TrainedAdapter.of(AdapterKind.LORA, payloadB));
            s3.client().deleteObject(r -> r.bucket(bucket).key(leaseKey(key))).join();
            AdapterResult firstResult = first.get(60, TimeUnit.SECONDS);

            assertArrayEquals(payloadB, firstResult.adapter().payloadBytes(), "A serves the new holder's adapter");
            assertArrayEquals(second.adapter().envelope(), s3.getObject(bucket, objectKey(key)));
            assertEquals(List.of(objectKey(key)), objectsInBucket());
            assertEquals(1, count(registryA, CacheMetrics.TRAININGS_STARTED));
        }
    }

    @Test
    void getOrCreate_neitherRedisNorS3Answers_trainsAloneAndCountsIt() throws Exception {
        redis.stop();
        AdapterKey key = TestSupport.key("no-arbiter");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (S3Proxy own = S3Proxy.start()) {
            String ownBucket = own.newBucket();
            AdapterCacheConfig config =
                    TestSupport.configBuilder(redis, own, ownBucket).build();
            try (TieredAdapterStore store = TestSupport.store(config, registry)) {
                own.stopProcess();
                AtomicInteger calls = new AtomicInteger();
                AdapterResult r = store.getOrCreate(
                        key, TestSupport.trainer(calls, new byte[] {7, 8, 9}), Duration.ofSeconds(60));
                assertArrayEquals(new byte[] {7, 8, 9}, r.adapter().payloadBytes());
                assertEquals(1, count(registry, CacheMetrics.TRAININGS_UNLOCKED));
            }
        }
    }

    @Test
    void lease_secondInstanceWaitsATtlThenTakesOver_andTheOldHolderCanNeitherRenewNorRelease() throws Exception {
        AdapterKey key = TestSupport.key("lease-unit");
        Duration ttl = Duration.ofMillis(300);
        try (S3Tier tier = new S3Tier(s3.config(bucket))) {
            S3TrainingLease a = new S3TrainingLease(tier, ttl, "instance-a");
            S3TrainingLease b = new S3TrainingLease(tier, ttl, "instance-b");
            S3TrainingLease.Watch watch = new S3TrainingLease.Watch();

            S3TrainingLease.Lease held =
                    a.tryAcquire(key, new S3TrainingLease.Watch()).orElseThrow();
            assertEquals(1, held.generation());
            assertTrue(b.tryAcquire(key, watch).isEmpty(), "held: the first sight starts the watch");
            assertTrue(a.renew(held), "the holder renews (If-Match on its own ETag)");
            assertTrue(b.tryAcquire(key, watch).isEmpty(), "renewed: a new ETag restarts the watch");
            Thread.sleep(ttl.toMillis() + 100); // the holder stops renewing, as if dead

            S3TrainingLease.Lease taken = b.tryAcquire(key, watch).orElseThrow();
            assertEquals(2, taken.generation());
            assertFalse(a.renew(held), "the old holder's If-Match is refused");
            assertFalse(a.holds(held));
            a.release(held);
            assertTrue(b.holds(taken), "the old holder did not delete the new lease");
            b.release(taken);
            assertNull(s3.getObject(bucket, leaseKey(key)));
        }
    }
}
