package ai.adaptserve.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Defaults need no external service; a bad value fails with a message naming its key. */
class AdapterCacheConfigTest {

    private static void assertRejected(String key, Executable construction) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construction);
        assertTrue(e.getMessage().startsWith(key), e.getMessage());
    }

    @Test
    void defaults_noArguments_needNoExternalService() {
        AdapterCacheConfig d = AdapterCacheConfig.defaults();

        assertTrue(d.redis().isEmpty());
        assertTrue(d.s3().isEmpty());
        assertEquals(512L << 20, d.memory().maxBytes());
        assertEquals(256L << 20, d.maxAdapterBytes());
        assertEquals(Duration.ofSeconds(30), d.lock().ttl());
        assertEquals(
                Duration.ofHours(24), AdapterCacheConfig.Redis.of("redis://h:1").ttl());
        assertEquals(8L << 20, AdapterCacheConfig.Redis.of("redis://h:1").maxValueBytes());
        assertEquals(
                Duration.ofMillis(500),
                AdapterCacheConfig.Redis.of("redis://h:1").timeout());
    }

    @Test
    void construct_invalidValues_failNamingTheKey() {
        assertRejected("memory.max-bytes", () -> new AdapterCacheConfig.Memory(-1));
        assertRejected("redis.url", () -> AdapterCacheConfig.Redis.of("localhost:6379"));
        assertRejected(
                "redis.ttl",
                () -> AdapterCacheConfig.Redis.builder("redis://h:1")
                        .ttl(Duration.ZERO)
                        .build());
        assertRejected(
                "redis.max-value-bytes",
                () -> AdapterCacheConfig.Redis.builder("redis://h:1")
                        .maxValueBytes(1L << 40)
                        .build());
        assertRejected(
                "redis.timeout",
                () -> AdapterCacheConfig.Redis.builder("redis://h:1")
                        .timeout(Duration.ofMillis(-1))
                        .build());
        assertRejected("s3.bucket", () -> AdapterCacheConfig.S3.of(" "));
        assertRejected(
                "s3.timeout",
                () -> AdapterCacheConfig.S3.builder("b").timeout(Duration.ZERO).build());
        assertRejected(
                "lock.ttl",
                () -> AdapterCacheConfig.Lock.builder()
                        .ttl(Duration.ofMillis(5))
                        .build());
        assertRejected(
                "lock.poll-max",
                () -> new AdapterCacheConfig.Lock(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(1)));
        assertRejected(
                "max-adapter-bytes",
                () -> AdapterCacheConfig.builder().maxAdapterBytes(0).build());
        assertRejected(
                "max-training-time",
                () -> AdapterCacheConfig.builder()
                        .maxTrainingTime(Duration.ZERO)
                        .build());
    }

    @Test
    void s3_prefixAndEndpoint_areNormalized() {
        AdapterCacheConfig.S3 s3 = AdapterCacheConfig.S3
                .builder("b")
                .prefix("prod")
                .endpoint(URI.create("http://x:9"))
                .build();

        assertEquals("prod/", s3.prefix());
        assertTrue(s3.pathStyle(), "S3-compatible endpoints use path-style addressing");
        assertFalse(AdapterCacheConfig.S3
                .builder("b")
                .credentials("id", "secret")
                .build()
                .toString()
                .contains("secret="));
    }
}
