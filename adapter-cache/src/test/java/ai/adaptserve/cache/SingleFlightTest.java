package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Train once: across threads of one instance, across instances sharing Redis and S3, and when the trainer dies. */
class SingleFlightTest extends WithRedisAndS3 {

    @Test
    void getOrCreate_fiftyConcurrentCallers_trainOnceAndFortyNineJoin() throws Exception {
        AdapterKey key = TestSupport.key("fifty");
        byte[] payload = TestSupport.payload(8192, 10);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(50);
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket), registry)) {
            AdapterTrainer trainer = k -> {
                calls.incrementAndGet();
                // Hold the training until every other caller has joined it.
                TestSupport.await(
                        () -> count(registry, CacheMetrics.TRAININGS_JOINED) == 49,
                        Duration.ofSeconds(20),
                        "49 joiners");
                return TrainedAdapter.of(AdapterKind.LORA, payload.clone());
            };
            List<Future<AdapterResult>> results = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                results.add(callers.submit(() -> store.getOrCreate(key, trainer, Duration.ofSeconds(30))));
            }
            for (Future<AdapterResult> f : results) {
                AdapterResult r = f.get(40, TimeUnit.SECONDS);
                assertEquals(AdapterSource.TRAINED, r.source());
                assertArrayEquals(payload, r.adapter().payloadBytes());
            }

            assertEquals(1, calls.get());
            assertEquals(1, count(registry, CacheMetrics.TRAININGS_STARTED));
            assertEquals(49, count(registry, CacheMetrics.TRAININGS_JOINED));
            assertEquals(0, count(registry, CacheMetrics.TRAININGS_FAILED));
            TestSupport.await(() -> store.flightsInProgress() == 0, Duration.ofSeconds(5), "flight removed");
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void getOrCreate_twoInstancesSharingRedisAndS3_trainOnce() throws Exception {
        AdapterKey key = TestSupport.key("two-instances");
        byte[] payload = TestSupport.payload(4096, 11);
        SimpleMeterRegistry registryA = new SimpleMeterRegistry();
        SimpleMeterRegistry registryB = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch trainingStarted = new CountDownLatch(1);
        ExecutorService callers = Executors.newFixedThreadPool(20);
        try (TieredAdapterStore a = TestSupport.store(TestSupport.config(redis, s3, bucket), registryA);
                TieredAdapterStore b = TestSupport.store(TestSupport.config(redis, s3, bucket), registryB)) {
            AdapterTrainer trainer = k -> {
                calls.incrementAndGet();
                trainingStarted.countDown();
                // Hold the training until the other instance waits on the fleet lock and every caller has joined.
                TestSupport.await(
                        () -> count(registryB, CacheMetrics.LOCK_WAITS) == 1
                                && count(registryA, CacheMetrics.TRAININGS_JOINED) == 9
                                && count(registryB, CacheMetrics.TRAININGS_JOINED) == 9,
                        Duration.ofSeconds(20),
                        "the other instance waits");
                return TrainedAdapter.of(AdapterKind.LORA, payload.clone());
            };
            List<Future<AdapterResult>> results = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                results.add(callers.submit(() -> a.getOrCreate(key, trainer, Duration.ofSeconds(30))));
            }
            assertTrue(trainingStarted.await(20, TimeUnit.SECONDS));
            for (int i = 0; i < 10; i++) {
                results.add(callers.submit(() -> b.getOrCreate(key, trainer, Duration.ofSeconds(30))));
            }
            for (Future<AdapterResult> f : results) {
                assertArrayEquals(payload, f.get(40, TimeUnit.SECONDS).adapter().payloadBytes());
            }

            assertEquals(1, calls.get());
            assertEquals(1, count(registryA, CacheMetrics.TRAININGS_STARTED));
            assertEquals(0, count(registryB, CacheMetrics.TRAININGS_STARTED));
            assertEquals(1, count(registryB, CacheMetrics.LOCK_WAITS));
            assertEquals(9, count(registryA, CacheMetrics.TRAININGS_JOINED));
            assertEquals(9, count(registryB, CacheMetrics.TRAININGS_JOINED));
            assertEquals(AdapterSource.MEMORY, b.get(key).orElseThrow().source());
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void getOrCreate_lockHolderProcessKilled_anotherInstanceTrainsIt() throws Exception {
        AdapterKey key = TestSupport.key("holder-killed");
        byte[] payload = TestSupport.payload(4096, 12);
        Process holder = startLockHolder(key, "1500");
        ExecutorService caller = Executors.newSingleThreadExecutor();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        try (TieredAdapterStore survivor = TestSupport.store(TestSupport.config(redis, s3, bucket), registry);
                Resp resp = redis.resp()) {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("TRAINING")) {
                // skip the child's log lines
            }
            assertEquals("TRAINING", line, "the child took the lock and started training");
            Object lockValue = resp.call("GET", "as:lock:" + key.id());
            assertNotNull(lockValue);
            assertTrue(new String((byte[]) lockValue, StandardCharsets.UTF_8).endsWith(":doomed"));

            Future<AdapterResult> result = caller.submit(
                    () -> survivor.getOrCreate(key, TestSupport.trainer(calls, payload), Duration.ofSeconds(60)));
            TestSupport.await(
                    () -> count(registry, CacheMetrics.LOCK_WAITS) == 1, Duration.ofSeconds(20), "survivor waits");
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

            AdapterResult r = result.get(60, TimeUnit.SECONDS);
            assertEquals(AdapterSource.TRAINED, r.source());
            assertEquals(1, calls.get());
            assertArrayEquals(payload, r.adapter().payloadBytes());
            assertEquals(
                    "2",
                    r.adapter().metadata().get("cache.fence"),
                    "the survivor's fencing token follows the dead one's");
            assertNotNull(s3.getObject(bucket, "adapters/" + key.baseFingerprint() + "/" + key.id()));
            assertFalse(resp.exists("as:lock:" + key.id()));
        } finally {
            holder.destroyForcibly();
            caller.shutdownNow();
        }
    }

    @Test
    void getOrCreate_trainerFails_everyWaiterGetsTrainingFailedAndNothingIsCached() throws Exception {
        AdapterKey key = TestSupport.key("fails");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ExecutorService callers = Executors.newFixedThreadPool(5);
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket), registry);
                Resp resp = redis.resp()) {
            AdapterTrainer failing = k -> {
                TestSupport.await(
                        () -> count(registry, CacheMetrics.TRAININGS_JOINED) == 4, Duration.ofSeconds(20), "joiners");
                throw new IllegalStateException("out of memory, say");
            };
            List<Future<AdapterResult>> results = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                results.add(callers.submit(() -> store.getOrCreate(key, failing, Duration.ofSeconds(30))));
            }
            for (Future<AdapterResult> f : results) {
                Exception e = assertThrows(Exception.class, () -> f.get(40, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof AdapterCacheException.TrainingFailed, String.valueOf(e.getCause()));
            }

            assertEquals(1, count(registry, CacheMetrics.TRAININGS_FAILED));
            assertTrue(store.get(key).isEmpty());
            assertFalse(resp.exists("as:lock:" + key.id()), "lock released after the failure");
            AtomicInteger calls = new AtomicInteger();
            store.getOrCreate(key, TestSupport.trainer(calls, new byte[] {1, 2, 3}), Duration.ofSeconds(30));
            assertEquals(1, calls.get(), "a later request trains again");
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void getOrCreate_callerTimeoutShorterThanTraining_throwsWaitTimedOutAndTrainingCompletes() {
        AdapterKey key = TestSupport.key("slow");
        CountDownLatch release = new CountDownLatch(1);
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket))) {
            AdapterTrainer slow = k -> {
                release.await();
                return TrainedAdapter.of(AdapterKind.SVF, new byte[] {4, 5, 6});
            };
            assertThrows(
                    AdapterCacheException.WaitTimedOut.class,
                    () -> store.getOrCreate(key, slow, Duration.ofMillis(50)));
            release.countDown();

            TestSupport.await(() -> store.get(key).isPresent(), Duration.ofSeconds(10), "trained after the timeout");
            assertEquals(AdapterKind.SVF, store.get(key).orElseThrow().adapter().kind());
        }
    }
}
