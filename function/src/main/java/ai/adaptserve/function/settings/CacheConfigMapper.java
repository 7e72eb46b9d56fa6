package ai.adaptserve.function.settings;

import ai.adaptserve.cache.AdapterCacheConfig;
import ai.adaptserve.cache.HmacKey;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.MemorySize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Turns {@link CacheConfig} ({@code adaptserve.cache.*}) into the cache library's {@link AdapterCacheConfig}: every key
 * that is set goes onto the library's builder, every key that is not keeps the library's default (declared there
 * only). The library checks the values; a bad configuration fails with one {@link ConfigurationException} listing every
 * problem, each naming its full key.
 *
 * <p>The mapper adds only what the library cannot know: static S3 credentials need both keys, and the local directory
 * must be writable on this machine when it is the durable tier.
 */
public final class CacheConfigMapper {
    private CacheConfigMapper() {}

    /** The prefix of every key of {@link CacheConfig}. */
    public static final String PREFIX = "adaptserve.cache.";

    /** The mapped configuration; throws a {@link ConfigurationException} naming every bad key. */
    public static AdapterCacheConfig map(CacheConfig config) {
        List<ConfigValidator.Problem> problems = new ArrayList<>();
        Optional<AdapterCacheConfig> mapped = map(config, problems);
        if (!problems.isEmpty() || mapped.isEmpty()) {
            Set<String> keys = new LinkedHashSet<>();
            StringBuilder message = new StringBuilder("Invalid AdaptServe adapter cache configuration:");
            for (ConfigValidator.Problem p : problems) {
                keys.add(p.key());
                message.append("\n  ").append(p.key()).append(": ").append(p.message());
            }
            throw new ConfigurationException(message.toString(), keys);
        }
        return mapped.get();
    }

    /** Every problem of {@code config}; empty when it is valid. */
    public static List<ConfigValidator.Problem> problems(CacheConfig config) {
        List<ConfigValidator.Problem> problems = new ArrayList<>();
        map(config, problems);
        return problems;
    }

    /** Each group is mapped on its own, so that one bad group does not hide the problems of the others. */
    private static Optional<AdapterCacheConfig> map(CacheConfig c, List<ConfigValidator.Problem> out) {
        AdapterCacheConfig.Builder b = AdapterCacheConfig.builder();
        part(out, () -> b.memory(memory(c.memory())));
        part(out, () -> b.redis(c.redis().url().map(url -> redis(url, c.redis()))));
        part(out, () -> b.s3(c.s3().bucket().map(bucket -> s3(bucket, c.s3()))));
        part(out, () -> b.local(local(c)));
        part(out, () -> b.lock(lock(c.lock())));
        part(out, () -> b.writeBehind(writeBehind(c.writeBehind())));
        part(out, () -> {
            bytes("max-adapter-bytes", c.maxAdapterBytes()).ifPresent(b::maxAdapterBytes);
            c.maxTrainingTime().ifPresent(b::maxTrainingTime);
            bytes("quota.max-bytes-per-tenant", c.quota().maxBytesPerTenant()).ifPresent(b::tenantQuotaBytes);
            return c.verifySha256().map(b::verifySha256);
        });
        part(out, () -> b.hmacKey(hmacKey(c)));
        Optional<AdapterCacheConfig> all = part(out, b::build);
        return out.isEmpty() ? all : Optional.empty();
    }

    private static AdapterCacheConfig.Memory memory(CacheConfig.Memory m) {
        return bytes("memory.max-bytes", m.maxBytes())
                .map(AdapterCacheConfig.Memory::new)
                .orElseGet(AdapterCacheConfig.Memory::defaults);
    }

    private static AdapterCacheConfig.Redis redis(String url, CacheConfig.Redis r) {
        AdapterCacheConfig.Redis.Builder b = AdapterCacheConfig.Redis.builder(url);
        r.ttl().ifPresent(b::ttl);
        bytes("redis.max-value-bytes", r.maxValueBytes()).ifPresent(b::maxValueBytes);
        r.timeout().ifPresent(b::timeout);
        r.maxPoolSize().ifPresent(b::maxPoolSize);
        r.retryInterval().ifPresent(b::retryInterval);
        return b.build();
    }

    private static AdapterCacheConfig.S3 s3(String bucket, CacheConfig.S3 s) {
        if (s.accessKeyId().isPresent() != s.secretAccessKey().isPresent()) {
            throw invalid(
                    s.accessKeyId().isPresent() ? "s3.secret-access-key" : "s3.access-key-id",
                    "must be set too: static credentials need both s3.access-key-id and s3.secret-access-key");
        }
        AdapterCacheConfig.S3.Builder b = AdapterCacheConfig.S3.builder(bucket);
        s.prefix().ifPresent(b::prefix);
        s.endpoint().ifPresent(b::endpoint);
        s.region().ifPresent(b::region);
        s.pathStyle().ifPresent(b::pathStyle);
        s.accessKeyId().ifPresent(id -> b.credentials(id, s.secretAccessKey().orElseThrow()));
        s.timeout().ifPresent(b::timeout);
        s.maxConcurrency().ifPresent(b::maxConcurrency);
        s.retryInterval().ifPresent(b::retryInterval);
        return b.build();
    }

    /** {@code hmac-key} or the contents of {@code hmac-key-file} (not both). */
    private static Optional<HmacKey> hmacKey(CacheConfig c) {
        if (c.hmacKey().isPresent() && c.hmacKeyFile().isPresent()) {
            throw invalid("hmac-key-file", "set either hmac-key or hmac-key-file, not both");
        }
        if (c.hmacKeyFile().isPresent()) {
            Path file = c.hmacKeyFile().get();
            try {
                String secret = Files.readString(file, StandardCharsets.UTF_8).strip();
                return Optional.of(new HmacKey(secret.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw invalid("hmac-key-file", "cannot read " + file + ": " + e.getMessage());
            } catch (AdapterCacheConfig.Invalid e) {
                throw invalid("hmac-key-file", e.problems().get(0).message());
            }
        }
        return c.hmacKey().map(k -> new HmacKey(k.getBytes(StandardCharsets.UTF_8)));
    }

    private static AdapterCacheConfig.Local local(CacheConfig c) {
        AdapterCacheConfig.Local defaults = AdapterCacheConfig.Local.defaults();
        AdapterCacheConfig.Local local = new AdapterCacheConfig.Local(
                c.local().dir().orElse(defaults.dir()),
                bytes("local.max-bytes", c.local().maxBytes()).orElse(defaults.maxBytes()));
        if (c.s3().bucket().isEmpty()) {
            // The durable tier: refuse a directory that can never be written rather than run with it down.
            Path abs = local.dir().toAbsolutePath();
            if (Files.exists(abs) && !Files.isDirectory(abs)) {
                throw invalid("local.dir", "is not a directory: " + abs);
            }
            Path existing = abs;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
                throw invalid(
                        "local.dir",
                        "cannot create or write " + abs + " (" + existing + " is not a writable directory)");
            }
        }
        return local;
    }

    private static AdapterCacheConfig.Lock lock(CacheConfig.Lock l) {
        AdapterCacheConfig.Lock.Builder b = AdapterCacheConfig.Lock.builder();
        l.ttl().ifPresent(b::ttl);
        l.pollInitial().ifPresent(b::pollInitial);
        l.pollMax().ifPresent(b::pollMax);
        return b.build();
    }

    private static AdapterCacheConfig.WriteBehind writeBehind(CacheConfig.WriteBehind w) {
        AdapterCacheConfig.WriteBehind d = AdapterCacheConfig.WriteBehind.defaults();
        return new AdapterCacheConfig.WriteBehind(
                bytes("write-behind.max-bytes", w.maxBytes()).orElse(d.maxBytes()),
                w.retryMax().orElse(d.retryMax()));
    }

    /** Runs one part of the mapping; its problems are added to {@code out}, each with its full key. */
    private static <T> Optional<T> part(List<ConfigValidator.Problem> out, Supplier<T> make) {
        try {
            return Optional.of(make.get());
        } catch (AdapterCacheConfig.Invalid e) {
            e.problems().forEach(p -> out.add(new ConfigValidator.Problem(PREFIX + p.key(), p.message())));
            return Optional.empty();
        }
    }

    private static AdapterCacheConfig.Invalid invalid(String key, String message) {
        return new AdapterCacheConfig.Invalid(List.of(new AdapterCacheConfig.Problem(key, message)));
    }

    private static Optional<Long> bytes(String key, Optional<MemorySize> size) {
        try {
            return size.map(MemorySize::asLongValue);
        } catch (ArithmeticException e) {
            throw invalid(key, "must be at most " + Long.MAX_VALUE + " bytes");
        }
    }
}
