package ai.adaptserve.cache;

import static org.junit.jupiter.api.Assertions.fail;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Keys, payloads, trainers, configurations and metric reads shared by the tests. */
final class TestSupport {

    /** A base fingerprint as model-loader makes them. */
    static final String BASE = "sha256:5e1f0c3a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f";

    private TestSupport() {}

    /** A LoRA key that depends on {@code name} only. */
    static AdapterKey key(String name) {
        return AdapterKey.builder(BASE, AdapterKind.LORA)
                .param("rank", 8)
                .param("lr", 1e-4)
                .example(name, new StringBuilder(name).reverse().toString())
                .build();
    }

    static byte[] payload(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A trainer that counts its calls and returns {@code payload}. */
    static AdapterTrainer trainer(AtomicInteger calls, byte[] payload) {
        return key -> {
            calls.incrementAndGet();
            return TrainedAdapter.of(AdapterKind.LORA, payload.clone());
        };
    }

    /** A trainer that fails the test if called. */
    static AdapterTrainer neverCalled() {
        return key -> {
            throw new AssertionError("the trainer must not run for " + key);
        };
    }

    /** Memory + Redis + S3, with short retry intervals so that outage tests recover quickly. */
    static AdapterCacheConfig config(RedisServer redis, S3Proxy s3, String bucket) {
        return configBuilder(redis, s3, bucket).build();
    }

    /** As {@link #config}, to change before building. */
    static AdapterCacheConfig.Builder configBuilder(RedisServer redis, S3Proxy s3, String bucket) {
        return AdapterCacheConfig.builder()
                .redis(redis(redis).build())
                .s3(s3.config(bucket))
                .lock(new AdapterCacheConfig.Lock(Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofMillis(200)))
                .writeBehind(new AdapterCacheConfig.WriteBehind(64 * AdapterCacheConfig.MIB, Duration.ofSeconds(1)))
                .maxTrainingTime(Duration.ofSeconds(60));
    }

    /** The Redis tier of {@link #config}, to change before building. */
    static AdapterCacheConfig.Redis.Builder redis(RedisServer redis) {
        return AdapterCacheConfig.Redis.builder(redis.url())
                .timeout(Duration.ofSeconds(1))
                .retryInterval(Duration.ofMillis(200));
    }

    /** Memory + a local directory only. */
    static AdapterCacheConfig localConfig(Path dir) {
        return localConfigBuilder(dir).build();
    }

    /** As {@link #localConfig}, to change before building. */
    static AdapterCacheConfig.Builder localConfigBuilder(Path dir) {
        return AdapterCacheConfig.builder()
                .local(new AdapterCacheConfig.Local(dir))
                .maxTrainingTime(Duration.ofSeconds(60));
    }

    static TieredAdapterStore store(AdapterCacheConfig config, MeterRegistry registry) {
        return TieredAdapterStore.builder(config).meterRegistry(registry).build();
    }

    static TieredAdapterStore store(AdapterCacheConfig config) {
        return store(config, new SimpleMeterRegistry());
    }

    /** Sum of the counters named {@code name} that carry {@code tags} (0 if none). */
    static double count(MeterRegistry registry, String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    static double gauge(MeterRegistry registry, String name, String... tags) {
        Gauge g = registry.find(name).tags(tags).gauge();
        return g == null ? Double.NaN : g.value();
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + timeout + ": " + what);
            }
            Processes.sleep(10);
        }
    }

    static AtomicInteger counter() {
        return new AtomicInteger();
    }

    /**
     * Starts {@code store.getOrCreate(key)} on another thread with a trainer that says it has started ({@code
     * training}), then waits for {@code release} before it returns {@code payload}: a training held open while a test
     * does something to the lock.
     */
    static java.util.concurrent.CompletableFuture<AdapterResult> trainWhenReleased(
            AdapterStore store,
            AdapterKey key,
            byte[] payload,
            java.util.concurrent.CountDownLatch training,
            java.util.concurrent.CountDownLatch release) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> store.getOrCreate(
                key,
                k -> {
                    training.countDown();
                    release.await();
                    return TrainedAdapter.of(AdapterKind.LORA, payload.clone());
                },
                java.time.Duration.ofSeconds(60)));
    }
}
