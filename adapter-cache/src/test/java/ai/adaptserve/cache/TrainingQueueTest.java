package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.gauge;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Bounded training slots: a full queue refuses at once, tenants share fairly, the fleet lock waits for a slot. */
class TrainingQueueTest extends WithRedisAndS3 {

    /** A trainer that says it started and then waits for {@code release}. */
    private static AdapterTrainer held(CountDownLatch started, CountDownLatch release, byte[] payload) {
        return k -> {
            started.countDown();
            release.await();
            return TrainedAdapter.of(AdapterKind.LORA, payload.clone());
        };
    }

    private static TieredAdapterStore store(AdapterCacheConfig config, TrainingLimits limits, SimpleMeterRegistry r) {
        return TieredAdapterStore.builder(config)
                .meterRegistry(r)
                .trainingLimits(limits)
                .build();
    }

    @Test
    void getOrCreate_slotTakenAndQueueFull_isRefusedAtOnce() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore store =
                store(TestSupport.config(redis, s3, bucket), new TrainingLimits(1, 0, 1), registry)) {
            CompletableFuture<AdapterResult> running = store.getOrCreateAsync(
                    TestSupport.key("running"), held(started, release, TestSupport.payload(64, 1)));
            assertTrue(started.await(30, TimeUnit.SECONDS));

            // A wait of a minute would be allowed: the refusal must not wait for it.
            AdapterCacheException.Overloaded e = assertThrows(
                    AdapterCacheException.Overloaded.class,
                    () -> store.getOrCreate(
                            TestSupport.key("refused"), TestSupport.neverCalled(), Duration.ofMinutes(1)));
            assertTrue(e.getMessage().contains("1 training slots"), e.getMessage());
            assertEquals(1.0, TestSupport.count(registry, CacheMetrics.TRAININGS_REJECTED, "reason", "queue-full"));

            release.countDown();
            running.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void getOrCreate_tenantAtItsLimit_waitsWhileAnotherTenantRuns() throws Exception {
        CountDownLatch aStarted = new CountDownLatch(1);
        CountDownLatch bStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        byte[] payload = TestSupport.payload(64, 2);
        try (TieredAdapterStore store =
                store(TestSupport.config(redis, s3, bucket), new TrainingLimits(2, 4, 1), registry)) {
            CompletableFuture<AdapterResult> a1 = store.getOrCreateAsync(
                    TestSupport.key("a1").withTenant("tenant-a"), held(aStarted, release, payload));
            assertTrue(aStarted.await(30, TimeUnit.SECONDS));
            CountDownLatch a2Started = new CountDownLatch(1);
            CompletableFuture<AdapterResult> a2 = store.getOrCreateAsync(
                    TestSupport.key("a2").withTenant("tenant-a"), held(a2Started, new CountDownLatch(0), payload));
            TestSupport.await(
                    () -> gauge(registry, CacheMetrics.TRAININGS_QUEUED) == 1.0,
                    Duration.ofSeconds(10),
                    "tenant-a's second training queued");
            CompletableFuture<AdapterResult> b = store.getOrCreateAsync(
                    TestSupport.key("b").withTenant("tenant-b"), held(bStarted, release, payload));

            assertTrue(bStarted.await(30, TimeUnit.SECONDS), "tenant-b runs beside tenant-a");
            assertFalse(a2Started.await(200, TimeUnit.MILLISECONDS), "tenant-a's second waits for its first");
            assertEquals(2.0, gauge(registry, CacheMetrics.TRAININGS_RUNNING));
            release.countDown();
            a1.get(30, TimeUnit.SECONDS);
            b.get(30, TimeUnit.SECONDS);
            assertArrayEquals(payload, a2.get(30, TimeUnit.SECONDS).adapter().payloadBytes());
        }
    }

    @Test
    void getOrCreate_queuedOnABusyInstance_doesNotHoldTheFleetLockSoAnIdleInstanceTrains() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AdapterKey queuedKey = TestSupport.key("queued-on-busy");
        AdapterCacheConfig config = TestSupport.config(redis, s3, bucket);
        SimpleMeterRegistry busyRegistry = new SimpleMeterRegistry();
        try (TieredAdapterStore busy = store(config, new TrainingLimits(1, 1, 1), busyRegistry);
                TieredAdapterStore idle = TestSupport.store(config);
                Resp resp = redis.resp()) {
            CompletableFuture<AdapterResult> running = busy.getOrCreateAsync(
                    TestSupport.key("keeps-busy-busy"), held(started, release, TestSupport.payload(64, 3)));
            assertTrue(started.await(30, TimeUnit.SECONDS));
            CompletableFuture<AdapterResult> queued = busy.getOrCreateAsync(queuedKey, TestSupport.neverCalled());
            TestSupport.await(
                    () -> gauge(busyRegistry, CacheMetrics.TRAININGS_QUEUED) == 1.0,
                    Duration.ofSeconds(10),
                    "queued on the busy instance");

            assertFalse(resp.exists("as:lock:" + queuedKey.id()), "no lock while queued");
            byte[] payload = TestSupport.payload(64, 4);
            AdapterResult byIdle = idle.getOrCreate(
                    queuedKey, k -> TrainedAdapter.of(AdapterKind.LORA, payload.clone()), Duration.ofSeconds(10));
            assertEquals(AdapterSource.TRAINED, byIdle.source());

            release.countDown();
            running.get(30, TimeUnit.SECONDS);
            assertArrayEquals(
                    payload, queued.get(30, TimeUnit.SECONDS).adapter().payloadBytes(), "found, not trained");
        }
    }

    @Test
    void getOrCreate_tenantQuotaWithRedis_isCountedForTheFleet() {
        AdapterCacheConfig config =
                TestSupport.configBuilder(redis, s3, bucket).tenantQuotaBytes(1).build();
        try (TieredAdapterStore a = TestSupport.store(config);
                TieredAdapterStore b = TestSupport.store(config);
                Resp resp = redis.resp()) {
            AdapterResult first = a.getOrCreate(
                    TestSupport.key("quota-1").withTenant("acme"),
                    k -> TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(100, 9)),
                    Duration.ofSeconds(30));

            assertEquals(
                    String.valueOf(first.adapter().storedLength()),
                    new String(
                            resp.getBytes(TenantQuota.counterKey("acme")), java.nio.charset.StandardCharsets.US_ASCII));
            // B has written nothing itself: the count it refuses on is the fleet's, in Redis.
            assertThrows(
                    AdapterCacheException.QuotaExceeded.class,
                    () -> b.getOrCreate(
                            TestSupport.key("quota-2").withTenant("acme"),
                            TestSupport.neverCalled(),
                            Duration.ofSeconds(30)));
        }
    }
}
