package ai.adaptserve.cache;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Configuration of a {@link TieredAdapterStore}. Immutable; {@link #defaults()} needs no external service (memory plus
 * a local directory). Each component names its keys as the function module exposes them under
 * {@code adaptserve.cache.}: the record component {@code redis.maxValueBytes} is the key
 * {@code adaptserve.cache.redis.max-value-bytes}. Invalid values fail construction with a message naming the key.
 *
 * @param memory the in-process tier
 * @param redis the shared hot tier and the fleet-wide training lock; empty = no Redis (training is then single-flight
 *     per instance only)
 * @param s3 the durable tier; empty = the {@link #local() local directory} is the durable tier
 * @param local the durable tier when S3 is not configured
 * @param lock the fleet-wide training lock (used only with Redis)
 * @param writeBehind the queue of adapters trained while the durable tier was unavailable
 * @param maxAdapterBytes ({@code max-adapter-bytes}, default 256 MiB) the largest payload stored or read from any tier
 * @param maxTrainingTime ({@code max-training-time}, default 15 min) a training still running after this is
 *     interrupted and fails
 * @param verifySha256 ({@code verify-sha256}, default false) also recompute the payload's SHA-256 on every read from
 *     Redis, S3 or the local directory. The length, the key, the base fingerprint and a CRC32C over the whole entry are
 *     always checked; the SHA-256 adds about 1.2 ms per MiB on these machines
 */
public record AdapterCacheConfig(
        Memory memory,
        Optional<Redis> redis,
        Optional<S3> s3,
        Local local,
        Lock lock,
        WriteBehind writeBehind,
        long maxAdapterBytes,
        Duration maxTrainingTime,
        boolean verifySha256) {

    static final long MIB = 1024L * 1024L;

    public AdapterCacheConfig {
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(s3, "s3");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(writeBehind, "writeBehind");
        requireRange("max-adapter-bytes", maxAdapterBytes, 1, Integer.MAX_VALUE - 2 * AdapterEnvelope.MAX_HEADER);
        requirePositive("max-training-time", maxTrainingTime);
    }

    /** Memory (512 MiB) and a local directory; no Redis, no S3. */
    public static AdapterCacheConfig defaults() {
        return new AdapterCacheConfig(
                Memory.defaults(),
                Optional.empty(),
                Optional.empty(),
                Local.defaults(),
                Lock.defaults(),
                WriteBehind.defaults(),
                256 * MIB,
                Duration.ofMinutes(15),
                false);
    }

    public AdapterCacheConfig withMemory(Memory memory) {
        return new AdapterCacheConfig(
                memory, redis, s3, local, lock, writeBehind, maxAdapterBytes, maxTrainingTime, verifySha256);
    }

    public AdapterCacheConfig withRedis(Redis redis) {
        return new AdapterCacheConfig(
                memory,
                Optional.of(redis),
                s3,
                local,
                lock,
                writeBehind,
                maxAdapterBytes,
                maxTrainingTime,
                verifySha256);
    }

    public AdapterCacheConfig withoutRedis() {
        return new AdapterCacheConfig(
                memory, Optional.empty(), s3, local, lock, writeBehind, maxAdapterBytes, maxTrainingTime, verifySha256);
    }

    public AdapterCacheConfig withS3(S3 s3) {
        return new AdapterCacheConfig(
                memory,
                redis,
                Optional.of(s3),
                local,
                lock,
                writeBehind,
                maxAdapterBytes,
                maxTrainingTime,
                verifySha256);
    }

    public AdapterCacheConfig withLocal(Local local) {
        return new AdapterCacheConfig(
                memory, redis, s3, local, lock, writeBehind, maxAdapterBytes, maxTrainingTime, verifySha256);
    }

    public AdapterCacheConfig withLock(Lock lock) {
        return new AdapterCacheConfig(
                memory, redis, s3, local, lock, writeBehind, maxAdapterBytes, maxTrainingTime, verifySha256);
    }

    public AdapterCacheConfig withWriteBehind(WriteBehind writeBehind) {
        return new AdapterCacheConfig(
                memory, redis, s3, local, lock, writeBehind, maxAdapterBytes, maxTrainingTime, verifySha256);
    }

    public AdapterCacheConfig withMaxAdapterBytes(long maxAdapterBytes) {
        return new AdapterCacheConfig(
                memory, redis, s3, local, lock, writeBehind, maxAdapterBytes, maxTrainingTime, verifySha256);
    }

    public AdapterCacheConfig withMaxTrainingTime(Duration maxTrainingTime) {
        return new AdapterCacheConfig(
                memory, redis, s3, local, lock, writeBehind, maxAdapterBytes, maxTrainingTime, verifySha256);
    }

    public AdapterCacheConfig withVerifySha256(boolean verifySha256) {
        return new AdapterCacheConfig(
                memory, redis, s3, local, lock, writeBehind, maxAdapterBytes, maxTrainingTime, verifySha256);
    }

    /**
     * The in-process tier: a Caffeine cache bounded by bytes.
     *
     * @param maxBytes ({@code memory.max-bytes}, default 512 MiB) total stored bytes held; 0 disables the tier
     */
    public record Memory(long maxBytes) {
        public Memory {
            requireRange("memory.max-bytes", maxBytes, 0, Long.MAX_VALUE);
        }

        public static Memory defaults() {
            return new Memory(512 * MIB);
        }
    }

    /**
     * The Redis tier (standalone or primary/replica; not cluster mode).
     *
     * @param url ({@code redis.url}, default {@code redis://localhost:6379}) {@code redis://[:password@]host:port[/db]}
     *     or {@code rediss://} for TLS
     * @param ttl ({@code redis.ttl}, default 24 h) expiry of every adapter written to Redis
     * @param maxValueBytes ({@code redis.max-value-bytes}, default 8 MiB) adapters whose stored form is larger are not
     *     put in Redis: they are served from S3 and memory (see docs/cache.md)
     * @param timeout ({@code redis.timeout}, default 500 ms) bound of every Redis call, connecting included
     * @param maxPoolSize ({@code redis.max-pool-size}, default 8) connections
     * @param retryInterval ({@code redis.retry-interval}, default 1 s) while Redis is down, how often one request tries it
     *     again
     */
    public record Redis(
            String url, Duration ttl, long maxValueBytes, Duration timeout, int maxPoolSize, Duration retryInterval) {
        public Redis {
            Objects.requireNonNull(url, "redis.url");
            if (!url.startsWith("redis://") && !url.startsWith("rediss://") && !url.startsWith("unix://")) {
                throw new IllegalArgumentException(
                        "redis.url must start with redis://, rediss:// or unix://, got '" + url + "'");
            }
            requirePositive("redis.ttl", ttl);
            requireRange("redis.max-value-bytes", maxValueBytes, 0, 512 * MIB);
            requirePositive("redis.timeout", timeout);
            requireRange("redis.max-pool-size", maxPoolSize, 1, 1024);
            requirePositive("redis.retry-interval", retryInterval);
        }

        /** Redis at {@code url} with the defaults above. */
        public static Redis of(String url) {
            return new Redis(url, Duration.ofHours(24), 8 * MIB, Duration.ofMillis(500), 8, Duration.ofSeconds(1));
        }

        public Redis withTtl(Duration ttl) {
            return new Redis(url, ttl, maxValueBytes, timeout, maxPoolSize, retryInterval);
        }

        public Redis withMaxValueBytes(long maxValueBytes) {
            return new Redis(url, ttl, maxValueBytes, timeout, maxPoolSize, retryInterval);
        }

        public Redis withTimeout(Duration timeout) {
            return new Redis(url, ttl, maxValueBytes, timeout, maxPoolSize, retryInterval);
        }

        public Redis withRetryInterval(Duration retryInterval) {
            return new Redis(url, ttl, maxValueBytes, timeout, maxPoolSize, retryInterval);
        }
    }

    /**
     * The S3 tier: AWS S3 or any S3-compatible endpoint.
     *
     * @param bucket ({@code s3.bucket}, required) an existing bucket
     * @param prefix ({@code s3.prefix}, default empty) put in front of every object key; a {@code /} is added if missing
     * @param endpoint ({@code s3.endpoint}, default: AWS) e.g. {@code http://localhost:9000} for MinIO or s3proxy
     * @param region ({@code s3.region}, default {@code us-east-1})
     * @param pathStyle ({@code s3.path-style}, default false) path-style addressing, usual for S3-compatible endpoints
     * @param credentials ({@code s3.access-key-id}, {@code s3.secret-access-key}) static credentials; default: the AWS
     *     default chain (environment, profile, instance role)
     * @param timeout ({@code s3.timeout}, default 10 s) bound of every S3 call, retries included
     * @param maxConcurrency ({@code s3.max-concurrency}, default 32) concurrent HTTP connections
     * @param retryInterval ({@code s3.retry-interval}, default 1 s) while S3 is down, how often reads try it again, and
     *     the first delay of the write-behind retries
     */
    public record S3(
            String bucket,
            String prefix,
            Optional<URI> endpoint,
            String region,
            boolean pathStyle,
            Optional<Credentials> credentials,
            Duration timeout,
            int maxConcurrency,
            Duration retryInterval) {
        public S3 {
            Objects.requireNonNull(bucket, "s3.bucket");
            if (bucket.isBlank()) {
                throw new IllegalArgumentException("s3.bucket must not be blank");
            }
            Objects.requireNonNull(prefix, "s3.prefix");
            if (!prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix = prefix + "/";
            }
            Objects.requireNonNull(endpoint, "s3.endpoint");
            Objects.requireNonNull(region, "s3.region");
            Objects.requireNonNull(credentials, "s3 credentials");
            requirePositive("s3.timeout", timeout);
            requireRange("s3.max-concurrency", maxConcurrency, 1, 10_000);
            requirePositive("s3.retry-interval", retryInterval);
        }

        /** Bucket {@code bucket} on AWS with the defaults above. */
        public static S3 of(String bucket) {
            return new S3(
                    bucket,
                    "",
                    Optional.empty(),
                    "us-east-1",
                    false,
                    Optional.empty(),
                    Duration.ofSeconds(10),
                    32,
                    Duration.ofSeconds(1));
        }

        public S3 withPrefix(String prefix) {
            return new S3(
                    bucket, prefix, endpoint, region, pathStyle, credentials, timeout, maxConcurrency, retryInterval);
        }

        /** An S3-compatible endpoint, with path-style addressing. */
        public S3 withEndpoint(URI endpoint) {
            return new S3(
                    bucket,
                    prefix,
                    Optional.of(endpoint),
                    region,
                    true,
                    credentials,
                    timeout,
                    maxConcurrency,
                    retryInterval);
        }

        public S3 withRegion(String region) {
            return new S3(
                    bucket, prefix, endpoint, region, pathStyle, credentials, timeout, maxConcurrency, retryInterval);
        }

        public S3 withCredentials(String accessKeyId, String secretAccessKey) {
            return new S3(
                    bucket,
                    prefix,
                    endpoint,
                    region,
                    pathStyle,
                    Optional.of(new Credentials(accessKeyId, secretAccessKey)),
                    timeout,
                    maxConcurrency,
                    retryInterval);
        }

        public S3 withTimeout(Duration timeout) {
            return new S3(
                    bucket, prefix, endpoint, region, pathStyle, credentials, timeout, maxConcurrency, retryInterval);
        }

        public S3 withRetryInterval(Duration retryInterval) {
            return new S3(
                    bucket, prefix, endpoint, region, pathStyle, credentials, timeout, maxConcurrency, retryInterval);
        }
    }

    /** Static S3 credentials. {@link #toString()} hides the secret. */
    public record Credentials(String accessKeyId, String secretAccessKey) {
        public Credentials {
            Objects.requireNonNull(accessKeyId, "s3.access-key-id");
            Objects.requireNonNull(secretAccessKey, "s3.secret-access-key");
        }

        @Override
        public String toString() {
            return "Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***]";
        }
    }

    /**
     * The local-directory tier, the durable tier when S3 is not configured.
     *
     * @param dir ({@code local.dir}, default {@code ${java.io.tmpdir}/adaptserve/adapters}) created if missing
     */
    public record Local(Path dir) {
        public Local {
            Objects.requireNonNull(dir, "local.dir");
        }

        public static Local defaults() {
            return new Local(Path.of(System.getProperty("java.io.tmpdir"), "adaptserve", "adapters"));
        }
    }

    /**
     * The fleet-wide training lock in Redis.
     *
     * @param ttl ({@code lock.ttl}, default 30 s) expiry of the lock; the holder renews it every third of this, so a
     *     dead holder's lock is free again after at most this long
     * @param pollInitial ({@code lock.poll-initial}, default 20 ms) first wait between checks of a waiter that got no
     *     ready notification
     * @param pollMax ({@code lock.poll-max}, default 500 ms) longest wait between checks (back-off doubles up to it)
     */
    public record Lock(Duration ttl, Duration pollInitial, Duration pollMax) {
        public Lock {
            requirePositive("lock.ttl", ttl);
            if (ttl.toMillis() < 30) {
                throw new IllegalArgumentException("lock.ttl must be at least 30ms, got " + ttl);
            }
            requirePositive("lock.poll-initial", pollInitial);
            requirePositive("lock.poll-max", pollMax);
            if (pollMax.compareTo(pollInitial) < 0) {
                throw new IllegalArgumentException("lock.poll-max (" + pollMax
                        + ") must not be less than lock.poll-initial (" + pollInitial + ")");
            }
        }

        public static Lock defaults() {
            return new Lock(Duration.ofSeconds(30), Duration.ofMillis(20), Duration.ofMillis(500));
        }

        public Lock withTtl(Duration ttl) {
            return new Lock(ttl, pollInitial, pollMax);
        }
    }

    /**
     * Adapters trained while the durable tier is down wait here (in memory) and are retried in the background.
     *
     * @param maxBytes ({@code write-behind.max-bytes}, default 1 GiB) beyond this the oldest waiting adapters are dropped
     *     (counted and logged): they stay usable while cached but will be trained again if needed
     * @param retryMax ({@code write-behind.retry-max}, default 30 s) the longest delay between retries (the first is the
     *     durable tier's retry interval, doubling)
     */
    public record WriteBehind(long maxBytes, Duration retryMax) {
        public WriteBehind {
            requireRange("write-behind.max-bytes", maxBytes, 0, Long.MAX_VALUE);
            requirePositive("write-behind.retry-max", retryMax);
        }

        public static WriteBehind defaults() {
            return new WriteBehind(1024 * MIB, Duration.ofSeconds(30));
        }
    }

    private static void requirePositive(String key, Duration value) {
        Objects.requireNonNull(value, key);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }

    private static void requireRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], got " + value);
        }
    }
}
