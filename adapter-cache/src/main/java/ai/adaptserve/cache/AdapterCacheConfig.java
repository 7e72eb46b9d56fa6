package ai.adaptserve.cache;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Configuration of a {@link TieredAdapterStore}. Immutable; {@link #defaults()} needs no external service (memory plus
 * a local directory). Each component names its keys as the function module exposes them under
 * {@code adaptserve.cache.}: the record component {@code redis.maxValueBytes} is the key
 * {@code adaptserve.cache.redis.max-value-bytes}.
 *
 * <h2>Declared once</h2>
 *
 * These records are the only place where the cache's settings get their defaults (the initial values of the
 * builders) and their rules (the compact constructors). A constructor checks every value of its record and throws
 * {@link Invalid} listing each bad one by key, so a configuration is reported in full. The function's
 * {@code @ConfigMapping} declares the keys without defaults and copies onto these builders only what is set.
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
 * @param hmacKey ({@code hmac-key} / {@code hmac-key-file}, default none) authenticates stored entries (HMAC-SHA256)
 * @param tenantQuotaBytes ({@code quota.max-bytes-per-tenant}, default 0 = no quota) stored bytes per tenant (of keys
 *     with a tenant); a training that would start while a tenant is at or above it fails with {@link
 *     AdapterCacheException.QuotaExceeded}. Counted in Redis (fleet-wide) when configured, else per instance
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
        boolean verifySha256,
        Optional<HmacKey> hmacKey,
        long tenantQuotaBytes) {

    static final long MIB = 1024L * 1024L;

    public AdapterCacheConfig {
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(s3, "s3");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(writeBehind, "writeBehind");
        Objects.requireNonNull(hmacKey, "hmacKey");
        new ConfigChecks()
                .range("quota.max-bytes-per-tenant", tenantQuotaBytes, 0, Long.MAX_VALUE)
                .range("max-adapter-bytes", maxAdapterBytes, 1, Integer.MAX_VALUE - 2 * AdapterEnvelope.MAX_HEADER)
                .positive("max-training-time", maxTrainingTime)
                .done();
    }

    /** Memory (512 MiB) and a local directory; no Redis, no S3. */
    public static AdapterCacheConfig defaults() {
        return builder().build();
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration. */
    public Builder toBuilder() {
        return new Builder()
                .memory(memory)
                .redis(redis)
                .s3(s3)
                .local(local)
                .lock(lock)
                .writeBehind(writeBehind)
                .maxAdapterBytes(maxAdapterBytes)
                .maxTrainingTime(maxTrainingTime)
                .verifySha256(verifySha256)
                .hmacKey(hmacKey)
                .tenantQuotaBytes(tenantQuotaBytes);
    }

    /** Builds an {@link AdapterCacheConfig}; starts from the defaults, checks on {@link #build()}. */
    public static final class Builder {
        private Memory memory = Memory.defaults();
        private Optional<Redis> redis = Optional.empty();
        private Optional<S3> s3 = Optional.empty();
        private Local local = Local.defaults();
        private Lock lock = Lock.defaults();
        private WriteBehind writeBehind = WriteBehind.defaults();
        private long maxAdapterBytes = 256 * MIB;
        private Duration maxTrainingTime = Duration.ofMinutes(15);
        private boolean verifySha256 = false;
        private Optional<HmacKey> hmacKey = Optional.empty();
        private long tenantQuotaBytes = 0;

        private Builder() {}

        public Builder hmacKey(Optional<HmacKey> hmacKey) {
            this.hmacKey = hmacKey;
            return this;
        }

        public Builder tenantQuotaBytes(long tenantQuotaBytes) {
            this.tenantQuotaBytes = tenantQuotaBytes;
            return this;
        }

        public Builder memory(Memory memory) {
            this.memory = memory;
            return this;
        }

        public Builder redis(Redis redis) {
            return redis(Optional.of(redis));
        }

        public Builder redis(Optional<Redis> redis) {
            this.redis = redis;
            return this;
        }

        public Builder s3(S3 s3) {
            return s3(Optional.of(s3));
        }

        public Builder s3(Optional<S3> s3) {
            this.s3 = s3;
            return this;
        }

        public Builder local(Local local) {
            this.local = local;
            return this;
        }

        public Builder lock(Lock lock) {
            this.lock = lock;
            return this;
        }

        public Builder writeBehind(WriteBehind writeBehind) {
            this.writeBehind = writeBehind;
            return this;
        }

        public Builder maxAdapterBytes(long maxAdapterBytes) {
            this.maxAdapterBytes = maxAdapterBytes;
            return this;
        }

        public Builder maxTrainingTime(Duration maxTrainingTime) {
            this.maxTrainingTime = maxTrainingTime;
            return this;
        }

        public Builder verifySha256(boolean verifySha256) {
            this.verifySha256 = verifySha256;
            return this;
        }

        /** @throws Invalid naming every bad key */
        public AdapterCacheConfig build() {
            return new AdapterCacheConfig(
                    memory,
                    redis,
                    s3,
                    local,
                    lock,
                    writeBehind,
                    maxAdapterBytes,
                    maxTrainingTime,
                    verifySha256,
                    hmacKey,
                    tenantQuotaBytes);
        }
    }

    /**
     * The in-process tier: a Caffeine cache bounded by bytes.
     *
     * @param maxBytes ({@code memory.max-bytes}, default 512 MiB) total stored bytes held; 0 disables the tier
     */
    public record Memory(long maxBytes) {
        public Memory {
            new ConfigChecks()
                    .range("memory.max-bytes", maxBytes, 0, Long.MAX_VALUE)
                    .done();
        }

        public static Memory defaults() {
            return new Memory(512 * MIB);
        }
    }

    /**
     * The Redis tier (standalone or primary/replica; not cluster mode).
     *
     * @param url ({@code redis.url}, no default) {@code redis://[:password@]host:port[/db]}, {@code rediss://} for TLS,
     *     or {@code unix://}
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
            new ConfigChecks()
                    .require(
                            url != null
                                    && (url.startsWith("redis://")
                                            || url.startsWith("rediss://")
                                            || url.startsWith("unix://")),
                            "redis.url",
                            // Never the whole URL: it may hold a password.
                            "must start with redis://, rediss:// or unix://, got " + scheme(url))
                    .positive("redis.ttl", ttl)
                    .range("redis.max-value-bytes", maxValueBytes, 0, 512 * MIB)
                    .positive("redis.timeout", timeout)
                    .range("redis.max-pool-size", maxPoolSize, 1, 1024)
                    .positive("redis.retry-interval", retryInterval)
                    .done();
        }

        private static String scheme(String url) {
            if (url == null) {
                return "nothing";
            }
            int end = url.indexOf("://");
            return end < 0 ? "no scheme" : "'" + url.substring(0, end) + "://…'";
        }

        /** Redis at {@code url} with the defaults above. */
        public static Redis of(String url) {
            return builder(url).build();
        }

        /** A builder for Redis at {@code url}, holding the defaults. */
        public static Builder builder(String url) {
            return new Builder(url);
        }

        /** Builds a {@link Redis}; starts from the defaults, checks on {@link #build()}. */
        public static final class Builder {
            private final String url;
            private Duration ttl = Duration.ofHours(24);
            private long maxValueBytes = 8 * MIB;
            private Duration timeout = Duration.ofMillis(500);
            private int maxPoolSize = 8;
            private Duration retryInterval = Duration.ofSeconds(1);

            private Builder(String url) {
                this.url = url;
            }

            public Builder ttl(Duration ttl) {
                this.ttl = ttl;
                return this;
            }

            public Builder maxValueBytes(long maxValueBytes) {
                this.maxValueBytes = maxValueBytes;
                return this;
            }

            public Builder timeout(Duration timeout) {
                this.timeout = timeout;
                return this;
            }

            public Builder maxPoolSize(int maxPoolSize) {
                this.maxPoolSize = maxPoolSize;
                return this;
            }

            public Builder retryInterval(Duration retryInterval) {
                this.retryInterval = retryInterval;
                return this;
            }

            public Redis build() {
                return new Redis(url, ttl, maxValueBytes, timeout, maxPoolSize, retryInterval);
            }
        }
    }

    /**
     * The S3 tier: AWS S3 or any S3-compatible endpoint.
     *
     * @param bucket ({@code s3.bucket}, required) an existing bucket
     * @param prefix ({@code s3.prefix}, default empty) put in front of every object key; a {@code /} is added if missing
     * @param endpoint ({@code s3.endpoint}, default: AWS) an {@code http://} or {@code https://} URL, e.g.
     *     {@code http://localhost:9000} for MinIO or s3proxy
     * @param region ({@code s3.region}, default {@code us-east-1})
     * @param pathStyle ({@code s3.path-style}, default false, true with an endpoint) path-style addressing, usual for
     *     S3-compatible endpoints
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
            Objects.requireNonNull(endpoint, "s3.endpoint");
            Objects.requireNonNull(credentials, "s3 credentials");
            if (prefix != null && !prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix = prefix + "/";
            }
            new ConfigChecks()
                    .require(bucket != null && !bucket.isBlank(), "s3.bucket", "must not be blank")
                    .present(prefix, "s3.prefix")
                    .require(
                            endpoint.map(S3::httpWithHost).orElse(true),
                            "s3.endpoint",
                            "must be an http:// or https:// URL with a host, got '" + endpoint.orElse(null) + "'")
                    .require(region != null && !region.isBlank(), "s3.region", "must not be blank")
                    .positive("s3.timeout", timeout)
                    .range("s3.max-concurrency", maxConcurrency, 1, 10_000)
                    .positive("s3.retry-interval", retryInterval)
                    .done();
        }

        private static boolean httpWithHost(URI e) {
            return ("http".equals(e.getScheme()) || "https".equals(e.getScheme())) && e.getHost() != null;
        }

        /** Bucket {@code bucket} on AWS with the defaults above. */
        public static S3 of(String bucket) {
            return builder(bucket).build();
        }

        /** A builder for {@code bucket}, holding the defaults. */
        public static Builder builder(String bucket) {
            return new Builder(bucket);
        }

        /** Builds an {@link S3}; starts from the defaults, checks on {@link #build()}. */
        public static final class Builder {
            private final String bucket;
            private String prefix = "";
            private Optional<URI> endpoint = Optional.empty();
            private String region = "us-east-1";
            private Optional<Boolean> pathStyle = Optional.empty();
            private Optional<Credentials> credentials = Optional.empty();
            private Duration timeout = Duration.ofSeconds(10);
            private int maxConcurrency = 32;
            private Duration retryInterval = Duration.ofSeconds(1);

            private Builder(String bucket) {
                this.bucket = bucket;
            }

            public Builder prefix(String prefix) {
                this.prefix = prefix;
                return this;
            }

            /** An S3-compatible endpoint; path-style addressing unless {@link #pathStyle(boolean)} says otherwise. */
            public Builder endpoint(URI endpoint) {
                this.endpoint = Optional.of(endpoint);
                return this;
            }

            public Builder region(String region) {
                this.region = region;
                return this;
            }

            public Builder pathStyle(boolean pathStyle) {
                this.pathStyle = Optional.of(pathStyle);
                return this;
            }

            public Builder credentials(String accessKeyId, String secretAccessKey) {
                this.credentials = Optional.of(new Credentials(accessKeyId, secretAccessKey));
                return this;
            }

            public Builder timeout(Duration timeout) {
                this.timeout = timeout;
                return this;
            }

            public Builder maxConcurrency(int maxConcurrency) {
                this.maxConcurrency = maxConcurrency;
                return this;
            }

            public Builder retryInterval(Duration retryInterval) {
                this.retryInterval = retryInterval;
                return this;
            }

            public S3 build() {
                return new S3(
                        bucket,
                        prefix,
                        endpoint,
                        region,
                        pathStyle.orElse(endpoint.isPresent()),
                        credentials,
                        timeout,
                        maxConcurrency,
                        retryInterval);
            }
        }
    }

    /** Static S3 credentials. {@link #toString()} hides the secret. */
    public record Credentials(String accessKeyId, String secretAccessKey) {
        public Credentials {
            new ConfigChecks()
                    .present(accessKeyId, "s3.access-key-id")
                    .present(secretAccessKey, "s3.secret-access-key")
                    .done();
        }

        @Override
        public String toString() {
            return "Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***]";
        }
    }

    /**
     * The local-directory tier, the durable tier when S3 is not configured.
     *
     * @param dir ({@code local.dir}, default {@code ~/.cache/adaptserve/adapters}, or {@code
     *     $XDG_CACHE_HOME/adaptserve/adapters}) created if missing, private to the user (0700) when this store creates it
     * @param maxBytes ({@code local.max-bytes}, default 4 GiB) the directory's adapters are kept under this by deleting
     *     the least recently used ones (an LRU sweep after writes)
     */
    public record Local(Path dir, long maxBytes) {
        public Local {
            new ConfigChecks()
                    .present(dir, "local.dir")
                    .range("local.max-bytes", maxBytes, 1, Long.MAX_VALUE)
                    .done();
        }

        static final long DEFAULT_MAX_BYTES = 4096 * MIB;

        /** {@code dir} with the default bound. */
        public Local(Path dir) {
            this(dir, DEFAULT_MAX_BYTES);
        }

        public static Local defaults() {
            return new Local(defaultDir(), DEFAULT_MAX_BYTES);
        }

        /** The user's cache directory, not the shared temp directory: other local users cannot plant adapters. */
        static Path defaultDir() {
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path cache =
                    xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            return cache.resolve("adaptserve").resolve("adapters");
        }
    }

    /**
     * The fleet-wide training lock: in Redis, and as a lease object on S3 (see {@code S3TrainingLease}).
     *
     * @param ttl ({@code lock.ttl}, default 30 s, at least 30 ms) expiry of the lock; the holder renews it every third
     *     of this, so a dead holder's lock is free again after at most this long (S3's lease: once a waiter has seen
     *     it unchanged for this long)
     * @param pollInitial ({@code lock.poll-initial}, default 20 ms) first wait between checks of a waiter that got no
     *     ready notification
     * @param pollMax ({@code lock.poll-max}, default 500 ms, not less than {@code poll-initial}) longest wait between
     *     checks (back-off doubles up to it)
     */
    public record Lock(Duration ttl, Duration pollInitial, Duration pollMax) {
        public Lock {
            ConfigChecks checks = new ConfigChecks()
                    .positive("lock.ttl", ttl)
                    .require(ttl == null || ttl.toMillis() >= 30, "lock.ttl", "must be at least 30ms, got " + ttl)
                    .positive("lock.poll-initial", pollInitial)
                    .positive("lock.poll-max", pollMax);
            if (checks.ok()) {
                checks.require(
                        pollMax.compareTo(pollInitial) >= 0,
                        "lock.poll-max",
                        "(" + pollMax + ") must not be less than lock.poll-initial (" + pollInitial + ")");
            }
            checks.done();
        }

        public static Lock defaults() {
            return builder().build();
        }

        /** A builder holding the defaults. */
        public static Builder builder() {
            return new Builder();
        }

        /** Builds a {@link Lock}; starts from the defaults, checks on {@link #build()}. */
        public static final class Builder {
            private Duration ttl = Duration.ofSeconds(30);
            private Duration pollInitial = Duration.ofMillis(20);
            private Duration pollMax = Duration.ofMillis(500);

            private Builder() {}

            public Builder ttl(Duration ttl) {
                this.ttl = ttl;
                return this;
            }

            public Builder pollInitial(Duration pollInitial) {
                this.pollInitial = pollInitial;
                return this;
            }

            public Builder pollMax(Duration pollMax) {
                this.pollMax = pollMax;
                return this;
            }

            public Lock build() {
                return new Lock(ttl, pollInitial, pollMax);
            }
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
            new ConfigChecks()
                    .range("write-behind.max-bytes", maxBytes, 0, Long.MAX_VALUE)
                    .positive("write-behind.retry-max", retryMax)
                    .done();
        }

        public static WriteBehind defaults() {
            return new WriteBehind(1024 * MIB, Duration.ofSeconds(30));
        }
    }

    /**
     * One bad value.
     *
     * @param key the key under {@code adaptserve.cache.}, such as {@code redis.ttl}
     * @param message what is wrong with it, such as {@code must be positive, got PT0S}
     */
    public record Problem(String key, String message) {}

    /** Bad values of one configuration record, each naming its key; the message starts with the first key. */
    public static final class Invalid extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        private final transient List<Problem> problems;

        public Invalid(List<Problem> problems) {
            super(problems.stream().map(p -> p.key() + " " + p.message()).collect(Collectors.joining("; ")));
            this.problems = List.copyOf(problems);
        }

        /** Every bad value, in the order of the record's components. */
        public List<Problem> problems() {
            return problems;
        }
    }
}
