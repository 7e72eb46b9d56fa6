package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default: memory plus a local directory, no external service. */
class LocalStoreTest {

    @TempDir
    Path dir;

    private Path file(AdapterKey key) {
        return dir.resolve("adapters").resolve(key.baseFingerprint()).resolve(key.id());
    }

    @Test
    void getOrCreate_defaultTiers_trainsOnceAndWritesTheLocalDirectory() throws Exception {
        AdapterKey key = TestSupport.key("local");
        byte[] payload = TestSupport.payload(5000, 40);
        AtomicInteger calls = new AtomicInteger();
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir))) {
            AdapterResult trained = store.getOrCreate(key, TestSupport.trainer(calls, payload), Duration.ofSeconds(10));

            assertEquals(AdapterSource.TRAINED, trained.source());
            assertTrue(trained.durable());
            assertTrue(Files.isRegularFile(file(key)));
            assertArrayEquals(trained.adapter().envelope(), Files.readAllBytes(file(key)));
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredAdapterStore restarted = TestSupport.store(TestSupport.localConfig(dir), registry)) {
            AdapterResult r = restarted.getOrCreate(key, TestSupport.neverCalled(), Duration.ofSeconds(10));

            assertEquals(AdapterSource.LOCAL, r.source());
            assertArrayEquals(payload, r.adapter().payloadBytes());
            assertEquals(1, count(registry, CacheMetrics.GETS, "tier", "local", "result", "hit"));
            assertEquals(1, calls.get());
        }
    }

    @Test
    void getOrCreate_fiftyConcurrentCallersWithoutRedis_trainOnce() {
        AdapterKey key = TestSupport.key("local-fifty");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir), registry)) {
            AdapterTrainer trainer = k -> {
                calls.incrementAndGet();
                TestSupport.await(
                        () -> count(registry, CacheMetrics.TRAININGS_JOINED) == 49, Duration.ofSeconds(20), "joiners");
                return TrainedAdapter.of(AdapterKind.SVF, new byte[] {1, 2, 3});
            };
            List<CompletableFuture<AdapterResult>> futures = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                futures.add(store.getOrCreateAsync(key, trainer));
            }
            futures.forEach(f -> assertEquals(AdapterSource.TRAINED, f.join().source()));

            assertEquals(1, calls.get());
            assertEquals(1, count(registry, CacheMetrics.TRAININGS_STARTED));
            assertEquals(49, count(registry, CacheMetrics.TRAININGS_JOINED));
        }
    }

    @Test
    void getOrCreate_corruptLocalFile_deletesItAndRetrains() throws Exception {
        AdapterKey key = TestSupport.key("local-corrupt");
        byte[] payload = TestSupport.payload(3000, 41);
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir))) {
            store.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
        }
        byte[] stored = Files.readAllBytes(file(key));
        stored[stored.length - 1] ^= 0x7f;
        Files.write(file(key), stored);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir), registry)) {
            AdapterResult r = store.getOrCreate(key, TestSupport.trainer(calls, payload), Duration.ofSeconds(10));

            assertEquals(AdapterSource.TRAINED, r.source());
            assertEquals(1, calls.get());
            assertEquals(1, count(registry, CacheMetrics.BAD_ENTRIES, "tier", "local", "reason", "checksum"));
            assertArrayEquals(r.adapter().envelope(), Files.readAllBytes(file(key)), "rebuilt");
        }
    }

    @Test
    void get_tenants_areSeparateNamespaces() {
        AdapterKey shared = TestSupport.key("tenant");
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir))) {
            store.put(shared.withTenant("acme"), TrainedAdapter.of(AdapterKind.LORA, new byte[] {1}));

            assertTrue(store.get(shared.withTenant("acme")).isPresent());
            assertTrue(store.get(shared.withTenant("globex")).isEmpty());
            assertTrue(store.get(shared).isEmpty());
            assertTrue(
                    Files.isRegularFile(dir.resolve("acme/adapters/" + shared.baseFingerprint() + "/" + shared.id())));
        }
    }

    @Test
    void put_moreBytesThanTheMemoryBound_evictsAndCountsEvictions() {
        int size = 100_000;
        long bound = 3L * (size + 1000);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdapterCacheConfig config = TestSupport.localConfigBuilder(dir)
                .memory(new AdapterCacheConfig.Memory(bound))
                .build();
        try (TieredAdapterStore store = TestSupport.store(config, registry)) {
            for (int i = 0; i < 6; i++) {
                store.put(TestSupport.key("evict-" + i), TrainedAdapter.of(AdapterKind.LORA, new byte[size]));
            }
            store.cleanUpMemory();

            assertTrue(store.memoryTier().weightedBytes() <= bound);
            assertEquals(3, store.memoryTier().size());
            assertEquals(3, count(registry, CacheMetrics.EVICTIONS, "tier", "memory", "cause", "size"));
            assertEquals(store.memoryTier().weightedBytes(), TestSupport.gauge(registry, CacheMetrics.MEMORY_BYTES));
            long fromMemory = 0;
            for (int i = 0; i < 6; i++) {
                if (store.get(TestSupport.key("evict-" + i)).orElseThrow().source() == AdapterSource.MEMORY) {
                    fromMemory++;
                }
            }
            assertTrue(fromMemory >= 1 && fromMemory < 6, "evicted ones come back from the local directory");
        }
    }

    @Test
    void get_memoryDisabled_servesFromTheDurableTierEveryTime() {
        AdapterKey key = TestSupport.key("no-memory");
        AdapterCacheConfig config = TestSupport.localConfigBuilder(dir)
                .memory(new AdapterCacheConfig.Memory(0))
                .build();
        try (TieredAdapterStore store = TestSupport.store(config)) {
            store.put(key, TrainedAdapter.of(AdapterKind.LORA, new byte[] {9}));

            assertEquals(AdapterSource.LOCAL, store.get(key).orElseThrow().source());
            assertEquals(AdapterSource.LOCAL, store.get(key).orElseThrow().source());
        }
    }

    @Test
    void getOrCreate_trainerReturnsTooLargeAdapter_failsAndCachesNothing() {
        AdapterKey key = TestSupport.key("too-large");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdapterCacheConfig config =
                TestSupport.localConfigBuilder(dir).maxAdapterBytes(100).build();
        try (TieredAdapterStore store = TestSupport.store(config, registry)) {
            AdapterCacheException.TrainingFailed e = assertThrows(
                    AdapterCacheException.TrainingFailed.class,
                    () -> store.getOrCreate(
                            key, k -> TrainedAdapter.of(AdapterKind.LORA, new byte[101]), Duration.ofSeconds(10)));

            assertTrue(e.getMessage().contains("max-adapter-bytes"), e.getMessage());
            assertEquals(1, count(registry, CacheMetrics.TRAININGS_FAILED));
            assertFalse(Files.exists(file(key)));
        }
    }

    @Test
    void getOrCreate_trainerExceedsMaxTrainingTime_isInterruptedAndFails() {
        AdapterKey key = TestSupport.key("endless");
        AtomicInteger interrupted = new AtomicInteger();
        AdapterCacheConfig config = TestSupport.localConfigBuilder(dir)
                .maxTrainingTime(Duration.ofMillis(200))
                .build();
        try (TieredAdapterStore store = TestSupport.store(config)) {
            assertThrows(
                    AdapterCacheException.TrainingFailed.class,
                    () -> store.getOrCreate(
                            key,
                            k -> {
                                try {
                                    Thread.sleep(60_000);
                                } catch (InterruptedException e) {
                                    interrupted.incrementAndGet();
                                    throw e;
                                }
                                return TrainedAdapter.of(AdapterKind.LORA, new byte[1]);
                            },
                            Duration.ofSeconds(10)));
            TestSupport.await(() -> interrupted.get() == 1, Duration.ofSeconds(5), "trainer interrupted");
        }
    }

    @Test
    void getOrCreate_afterClose_throwsInterrupted() {
        TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir));
        store.close();

        assertThrows(
                AdapterCacheException.Interrupted.class,
                () -> store.getOrCreate(TestSupport.key("closed"), TestSupport.neverCalled(), Duration.ofSeconds(1)));
    }
}
