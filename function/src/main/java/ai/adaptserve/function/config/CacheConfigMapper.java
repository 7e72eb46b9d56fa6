package ai.adaptserve.function.config;

import ai.adaptserve.cache.AdapterCacheConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.MemorySize;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Turns {@link CacheConfig} ({@code adaptserve.cache.*}) into the adapter cache's {@link AdapterCacheConfig}, or fails
 * with a {@link ConfigurationException} that lists every problem, each naming its full key.
 */
public final class CacheConfigMapper {
    private CacheConfigMapper() {}

    /** The prefix of every key of {@link CacheConfig}. */
    public static final String PREFIX = "adaptserve.cache.";

    /** A key at the start of the cache library's messages: {@code redis.ttl must be positive, …}. */
    private static final Pattern LIBRARY_KEY = Pattern.compile("^([a-z0-9-]+(\\.[a-z0-9-]+)*)\\b.*", Pattern.DOTALL);

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

    private static Optional<AdapterCacheConfig> map(CacheConfig c, List<ConfigValidator.Problem> out) {
        Optional<AdapterCacheConfig.Memory> memory = part(
                out,
                "memory.max-bytes",
                () -> new AdapterCacheConfig.Memory(
                        bytes("memory.max-bytes", c.memory().maxBytes())));
        Optional<Optional<AdapterCacheConfig.Redis>> redis = part(
                out,
                "redis",
                () -> c.redis().url().map(url -> {
                    // Checked on its own so that the other redis.* keys are still checked when it is wrong.
                    boolean urlOk =
                            part(out, "redis.url", () -> checkRedisUrl(url)).isPresent();
                    return redis(c.redis(), urlOk ? url : "redis://placeholder");
                }));
        Optional<Optional<AdapterCacheConfig.S3>> s3 =
                part(out, "s3", () -> c.s3().bucket().map(bucket -> s3(c.s3(), bucket)));
        Optional<AdapterCacheConfig.Local> local =
                part(out, "local.dir", () -> local(c.local().dir(), c));
        Optional<AdapterCacheConfig.Lock> lock = part(
                out,
                "lock",
                () -> new AdapterCacheConfig.Lock(
                        c.lock().ttl(), c.lock().pollInitial(), c.lock().pollMax()));
        Optional<AdapterCacheConfig.WriteBehind> writeBehind = part(
                out,
                "write-behind",
                () -> new AdapterCacheConfig.WriteBehind(
                        bytes("write-behind.max-bytes", c.writeBehind().maxBytes()),
                        c.writeBehind().retryMax()));
        // The top-level keys are checked even when a group failed (with that group's defaults in its place).
        AdapterCacheConfig defaults = AdapterCacheConfig.defaults();
        Optional<AdapterCacheConfig> all = part(
                out,
                "max-adapter-bytes",
                () -> new AdapterCacheConfig(
                        memory.orElse(defaults.memory()),
                        redis.orElse(Optional.empty()),
                        s3.orElse(Optional.empty()),
                        local.orElse(defaults.local()),
                        lock.orElse(defaults.lock()),
                        writeBehind.orElse(defaults.writeBehind()),
                        bytes("max-adapter-bytes", c.maxAdapterBytes()),
                        c.maxTrainingTime(),
                        c.verifySha256()));
        return out.isEmpty() ? all : Optional.empty();
    }

    private static String checkRedisUrl(String url) {
        String scheme =
                url.contains("://") ? url.substring(0, url.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        if (!scheme.equals("redis") && !scheme.equals("rediss") && !scheme.equals("unix")) {
            // Not the library's message: it would echo the URL, password included.
            throw new IllegalArgumentException("redis.url must start with redis://, rediss:// or unix://, got "
                    + (scheme.isEmpty() ? "no scheme" : "'" + scheme + "://…'"));
        }
        return url;
    }

    private static AdapterCacheConfig.Redis redis(CacheConfig.Redis r, String url) {
        return new AdapterCacheConfig.Redis(
                url,
                r.ttl(),
                bytes("redis.max-value-bytes", r.maxValueBytes()),
                r.timeout(),
                r.maxPoolSize(),
                r.retryInterval());
    }

    private static AdapterCacheConfig.S3 s3(CacheConfig.S3 s, String bucket) {
        Optional<AdapterCacheConfig.Credentials> credentials = Optional.empty();
        if (s.accessKeyId().isPresent() != s.secretAccessKey().isPresent()) {
            String missing = s.accessKeyId().isPresent() ? "s3.secret-access-key" : "s3.access-key-id";
            throw new IllegalArgumentException(missing
                    + " must be set too: static credentials need both s3.access-key-id and s3.secret-access-key");
        }
        if (s.accessKeyId().isPresent()) {
            credentials = Optional.of(new AdapterCacheConfig.Credentials(
                    s.accessKeyId().get(), s.secretAccessKey().get()));
        }
        Optional<URI> endpoint = s.endpoint();
        if (endpoint.isPresent()) {
            URI e = endpoint.get();
            if (e.getScheme() == null
                    || !(e.getScheme().equals("http") || e.getScheme().equals("https"))
                    || e.getHost() == null) {
                throw new IllegalArgumentException(
                        "s3.endpoint must be an http:// or https:// URL with a host, got '" + e + "'");
            }
        }
        if (s.region().isBlank()) {
            throw new IllegalArgumentException("s3.region must not be blank");
        }
        return new AdapterCacheConfig.S3(
                bucket,
                s.prefix().orElse(""),
                endpoint,
                s.region(),
                s.pathStyle().orElse(endpoint.isPresent()),
                credentials,
                s.timeout(),
                s.maxConcurrency(),
                s.retryInterval());
    }

    private static AdapterCacheConfig.Local local(Path dir, CacheConfig c) {
        if (c.s3().bucket().isEmpty()) {
            // The durable tier: refuse a directory that can never be written rather than run with it down.
            Path abs = dir.toAbsolutePath();
            if (Files.exists(abs) && !Files.isDirectory(abs)) {
                throw new IllegalArgumentException("local.dir is not a directory: " + abs);
            }
            Path existing = abs;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
                throw new IllegalArgumentException(
                        "local.dir: cannot create or write " + abs + " (" + existing + " is not a writable directory)");
            }
        }
        return new AdapterCacheConfig.Local(dir);
    }

    /** Runs one part of the mapping; a failure becomes a problem naming the key at the start of its message. */
    private static <T> Optional<T> part(List<ConfigValidator.Problem> out, String group, Supplier<T> make) {
        try {
            return Optional.of(make.get());
        } catch (IllegalArgumentException | NullPointerException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            var m = LIBRARY_KEY.matcher(message);
            String key = group;
            String rest = message;
            if (m.matches() && (m.group(1).contains(".") || m.group(1).contains("-"))) {
                key = m.group(1);
                rest = message.substring(key.length()).replaceFirst("^[:\\s]+", "");
            }
            if (rest.isEmpty()) {
                rest = "is required";
            }
            out.add(new ConfigValidator.Problem(PREFIX + key, rest));
            return Optional.empty();
        }
    }

    private static long bytes(String key, MemorySize size) {
        try {
            return size.asLongValue();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(key + " must be at most " + Long.MAX_VALUE + " bytes");
        }
    }
}
