package ai.adaptserve.function.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.cache.AdapterCacheConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code adaptserve.cache.*} maps to the cache's configuration; a bad value fails naming its key. */
class CacheConfigMapperTest {

    @TempDir
    Path tmp;

    private CacheConfig config(Map<String, String> values) {
        Map<String, String> all = new HashMap<>();
        all.put("adaptserve.cache.local.dir", tmp.resolve("adapters").toString());
        all.putAll(values);
        return new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(all, "test", 500))
                .withMapping(CacheConfig.class)
                .build()
                .getConfigMapping(CacheConfig.class);
    }

    private List<String> keys(Map<String, String> values) {
        return CacheConfigMapper.problems(config(values)).stream()
                .map(ConfigValidator.Problem::key)
                .toList();
    }

    @Test
    void map_defaults_memoryAndLocalDirectoryOnly() {
        AdapterCacheConfig mapped = CacheConfigMapper.map(config(Map.of()));

        assertEquals(512L << 20, mapped.memory().maxBytes());
        assertTrue(mapped.redis().isEmpty());
        assertTrue(mapped.s3().isEmpty());
        assertEquals(tmp.resolve("adapters"), mapped.local().dir());
        assertEquals(256L << 20, mapped.maxAdapterBytes());
        assertEquals(Duration.ofMinutes(15), mapped.maxTrainingTime());
        assertFalse(mapped.verifySha256());
        assertEquals(AdapterCacheConfig.defaults().lock(), mapped.lock());
        assertEquals(AdapterCacheConfig.defaults().writeBehind(), mapped.writeBehind());
    }

    @Test
    void map_redisAndS3_everyKeyCarriedOver() {
        AdapterCacheConfig mapped = CacheConfigMapper.map(config(Map.ofEntries(
                Map.entry("adaptserve.cache.redis.url", "redis://:secret@cache:6380/2"),
                Map.entry("adaptserve.cache.redis.ttl", "2h"),
                Map.entry("adaptserve.cache.redis.max-value-bytes", "1M"),
                Map.entry("adaptserve.cache.redis.timeout", "250ms"),
                Map.entry("adaptserve.cache.s3.bucket", "adapters"),
                Map.entry("adaptserve.cache.s3.prefix", "prod"),
                Map.entry("adaptserve.cache.s3.endpoint", "http://localhost:9000"),
                Map.entry("adaptserve.cache.s3.region", "eu-west-1"),
                Map.entry("adaptserve.cache.s3.access-key-id", "AK"),
                Map.entry("adaptserve.cache.s3.secret-access-key", "SK"),
                Map.entry("adaptserve.cache.memory.max-bytes", "0"),
                Map.entry("adaptserve.cache.verify-sha256", "true"))));

        AdapterCacheConfig.Redis redis = mapped.redis().orElseThrow();
        assertEquals("redis://:secret@cache:6380/2", redis.url());
        assertEquals(Duration.ofHours(2), redis.ttl());
        assertEquals(1L << 20, redis.maxValueBytes());
        assertEquals(Duration.ofMillis(250), redis.timeout());
        AdapterCacheConfig.S3 s3 = mapped.s3().orElseThrow();
        assertEquals("adapters", s3.bucket());
        assertEquals("prod/", s3.prefix());
        assertEquals(URI.create("http://localhost:9000"), s3.endpoint().orElseThrow());
        assertTrue(s3.pathStyle(), "an endpoint turns on path-style addressing");
        assertEquals("eu-west-1", s3.region());
        assertEquals("AK", s3.credentials().orElseThrow().accessKeyId());
        assertEquals(0, mapped.memory().maxBytes());
        assertTrue(mapped.verifySha256());
    }

    @Test
    void map_badValues_failsNamingEveryKey() {
        Map<String, String> bad = Map.of(
                "adaptserve.cache.redis.url", "http://:secret@cache:6379",
                "adaptserve.cache.redis.ttl", "0s",
                "adaptserve.cache.lock.poll-initial", "2s",
                "adaptserve.cache.max-adapter-bytes", "0");

        ConfigurationException e = assertThrows(ConfigurationException.class, () -> CacheConfigMapper.map(config(bad)));

        assertEquals(
                List.of(
                        "adaptserve.cache.redis.url",
                        "adaptserve.cache.redis.ttl",
                        "adaptserve.cache.lock.poll-max",
                        "adaptserve.cache.max-adapter-bytes"),
                List.copyOf(e.getConfigKeys()));
        assertTrue(e.getMessage().contains("adaptserve.cache.redis.url"), e.getMessage());
        assertFalse(e.getMessage().contains("secret"), "the message must not echo the password: " + e.getMessage());
    }

    @Test
    void problems_redisTtlZero_namesKey() {
        assertEquals(
                List.of("adaptserve.cache.redis.ttl"),
                keys(Map.of(
                        "adaptserve.cache.redis.url", "redis://localhost:6379", "adaptserve.cache.redis.ttl", "0s")));
    }

    @Test
    void problems_maxAdapterBytesZero_namesKey() {
        assertEquals(
                List.of("adaptserve.cache.max-adapter-bytes"), keys(Map.of("adaptserve.cache.max-adapter-bytes", "0")));
    }

    @Test
    void problems_accessKeyWithoutSecret_namesMissingKey() {
        assertEquals(
                List.of("adaptserve.cache.s3.secret-access-key"),
                keys(Map.of("adaptserve.cache.s3.bucket", "b", "adaptserve.cache.s3.access-key-id", "AK")));
    }

    @Test
    void problems_endpointNotHttp_namesKey() {
        assertEquals(
                List.of("adaptserve.cache.s3.endpoint"),
                keys(Map.of("adaptserve.cache.s3.bucket", "b", "adaptserve.cache.s3.endpoint", "ftp://x")));
    }

    @Test
    void problems_localDirIsAFile_namesKey() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertEquals(
                List.of("adaptserve.cache.local.dir"), keys(Map.of("adaptserve.cache.local.dir", file.toString())));
    }

    @Test
    void problems_localDirIsAFileButS3Configured_none() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertEquals(
                List.of(),
                keys(Map.of("adaptserve.cache.local.dir", file.toString(), "adaptserve.cache.s3.bucket", "b")));
    }

    @Test
    void problems_writeBehindRetryMaxZero_namesKey() {
        assertEquals(
                List.of("adaptserve.cache.write-behind.retry-max"),
                keys(Map.of("adaptserve.cache.write-behind.retry-max", "0s")));
    }
}
