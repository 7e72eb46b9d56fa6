package ai.adaptserve.function.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The adapter cache, under the {@code adaptserve.cache} prefix: the keys of {@code AdapterCacheConfig} (see
 * docs/cache.md). The defaults need no external service: memory plus a local directory. Redis is on when
 * {@code redis.url} is set, S3 (instead of the local directory) when {@code s3.bucket} is set. Mapped and checked by
 * {@link CacheConfigMapper} at start-up: a bad value stops the application with a message naming its key.
 */
@ConfigMapping(prefix = "adaptserve.cache")
public interface CacheConfig {

    /** The in-process tier. */
    Memory memory();

    /** The shared hot tier and the fleet-wide training lock. */
    Redis redis();

    /** The durable tier, when configured; otherwise the local directory is. */
    S3 s3();

    /** The durable tier when S3 is not configured. */
    Local local();

    /** The fleet-wide training lock in Redis. */
    Lock lock();

    /** Adapters waiting for the durable tier while it is down. */
    WriteBehind writeBehind();

    /** The largest adapter payload stored in or read from any tier. */
    @WithDefault("256M")
    MemorySize maxAdapterBytes();

    /** A training still running after this long is interrupted and fails. */
    @WithDefault("15m")
    Duration maxTrainingTime();

    /**
     * Also recompute the payload's SHA-256 on every read from Redis, S3 or the local directory (length, CRC32C, key and
     * base model are always checked).
     */
    @WithDefault("false")
    boolean verifySha256();

    /** The in-process tier (Caffeine, weighed by stored bytes). */
    interface Memory {
        /** Bytes of adapters held in memory; 0 turns the tier off. */
        @WithDefault("512M")
        MemorySize maxBytes();
    }

    /** The shared hot tier. Off unless {@code url} is set. */
    interface Redis {
        /**
         * {@code redis://[:password@]host:port[/db]}, or {@code rediss://} for TLS; standalone or primary/replica.
         * Unset: no Redis (training is then single-flight per instance only).
         */
        Optional<String> url();

        /** Expiry of every adapter written to Redis. */
        @WithDefault("24h")
        Duration ttl();

        /** Adapters whose stored form is larger are not put in Redis (they are served from S3 and memory). */
        @WithDefault("8M")
        MemorySize maxValueBytes();

        /** Bound of every Redis call, connecting included. */
        @WithDefault("500ms")
        Duration timeout();

        /** Connections to Redis. */
        @WithDefault("8")
        int maxPoolSize();

        /** How often a down Redis is probed in the background. */
        @WithDefault("1s")
        Duration retryInterval();
    }

    /** The durable tier on S3 or an S3-compatible endpoint. Off unless {@code bucket} is set. */
    interface S3 {
        /** An existing bucket. Unset: the local directory is the durable tier. */
        Optional<String> bucket();

        /** Put in front of every object key ({@code /} added); default none. */
        Optional<String> prefix();

        /** Any S3-compatible endpoint (MinIO, s3proxy, …); setting it turns on path-style addressing. Default: AWS. */
        Optional<URI> endpoint();

        /** The bucket's region. */
        @WithDefault("us-east-1")
        String region();

        /** Path-style addressing; default false, true when {@code endpoint} is set. */
        Optional<Boolean> pathStyle();

        /** Static credentials, with {@code secret-access-key}; default: the AWS chain (env, profile, role). */
        Optional<String> accessKeyId();

        /** Static credentials, with {@code access-key-id}. */
        Optional<String> secretAccessKey();

        /** Bound of every S3 call, SDK retries included. */
        @WithDefault("10s")
        Duration timeout();

        /** HTTP connections to S3. */
        @WithDefault("32")
        int maxConcurrency();

        /** Background probe interval while S3 is down; the first write-behind retry delay. */
        @WithDefault("1s")
        Duration retryInterval();
    }

    /** The durable tier when S3 is not configured. */
    interface Local {
        /** Directory of the adapters ({@code <dir>/[<tenant>/]adapters/<base-fingerprint>/<id>}); created if missing. */
        @WithDefault("${java.io.tmpdir}/adaptserve/adapters")
        Path dir();
    }

    /** The fleet-wide training lock (used only with Redis). */
    interface Lock {
        /** Lock expiry; renewed every third of it by the holder, so a dead holder's lock is free after this long. */
        @WithDefault("30s")
        Duration ttl();

        /** First wait between checks of an instance waiting for another one's training. */
        @WithDefault("20ms")
        Duration pollInitial();

        /** Longest wait between those checks (the back-off doubles up to it). */
        @WithDefault("500ms")
        Duration pollMax();
    }

    /** Adapters trained while the durable tier is down wait here, in memory, and are retried in the background. */
    interface WriteBehind {
        /** Bytes of waiting adapters; beyond this the oldest are dropped (they will be trained again if needed). */
        @WithDefault("1G")
        MemorySize maxBytes();

        /** Longest delay between write-behind retries (doubling from {@code s3.retry-interval}). */
        @WithDefault("30s")
        Duration retryMax();
    }
}
