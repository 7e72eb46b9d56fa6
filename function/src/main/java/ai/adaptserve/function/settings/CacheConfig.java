package ai.adaptserve.function.settings;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The adapter cache's keys under {@code adaptserve.cache}: names and types only.
 *
 * <p>Every key is optional and none has a default here: the defaults and the rules of the values are declared once, in
 * the cache library's {@code AdapterCacheConfig} (its builders start from the defaults, its constructors check the
 * values). {@link CacheConfigMapper} copies what is set onto those builders, so an unset key keeps the library's
 * default and a bad value fails start-up naming its key. The defaults need no external service: memory plus a local
 * directory; Redis is on when {@code redis.url} is set, S3 (instead of the local directory) when {@code s3.bucket} is
 * set. docs/cache.md lists every key with its default.
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
    Optional<MemorySize> maxAdapterBytes();

    /** A training still running after this long is interrupted and fails. */
    Optional<Duration> maxTrainingTime();

    /** Also recompute the payload's SHA-256 on every read from Redis, S3 or the local directory. */
    Optional<Boolean> verifySha256();

    /**
     * The secret (at least 32 bytes) that authenticates every stored entry with an HMAC-SHA256; the same on every
     * instance. Unset (and no {@code hmac-key-file}): entries are only checksummed, which the start-up log says.
     */
    Optional<String> hmacKey();

    /** A file holding the HMAC secret (its bytes, a trailing line break removed); instead of {@code hmac-key}. */
    Optional<Path> hmacKeyFile();

    /** Bytes of adapters each tenant may create; past it, its new trainings are refused (403). */
    Quota quota();

    /** Per-tenant storage quota. */
    interface Quota {
        /** Bytes per tenant; unset or 0: no quota. Counted in Redis (fleet-wide) when configured, else per instance. */
        Optional<MemorySize> maxBytesPerTenant();
    }

    /** The in-process tier, weighed by bytes. */
    interface Memory {
        /** Bytes of adapters held in memory; 0 turns the tier off. */
        Optional<MemorySize> maxBytes();
    }

    /** The shared hot tier. Off unless {@code url} is set. */
    interface Redis {
        /** {@code redis://[:password@]host:port[/db]}, or {@code rediss://} for TLS. Unset: no Redis. */
        Optional<String> url();

        /** Expiry of every adapter written to Redis. */
        Optional<Duration> ttl();

        /** Adapters whose stored form is larger are not put in Redis. */
        Optional<MemorySize> maxValueBytes();

        /** Bound of every Redis call, connecting included. */
        Optional<Duration> timeout();

        /** Connections to Redis. */
        Optional<Integer> maxPoolSize();

        /** How often a down Redis is probed in the background. */
        Optional<Duration> retryInterval();
    }

    /** The durable tier on S3 or an S3-compatible endpoint. Off unless {@code bucket} is set. */
    interface S3 {
        /** An existing bucket. Unset: the local directory is the durable tier. */
        Optional<String> bucket();

        /** Put in front of every object key. */
        Optional<String> prefix();

        /** Any S3-compatible endpoint (MinIO, s3proxy, …). */
        Optional<URI> endpoint();

        /** The bucket's region. */
        Optional<String> region();

        /** Path-style addressing. */
        Optional<Boolean> pathStyle();

        /** Static credentials, with {@code secret-access-key}; unset: the AWS chain (env, profile, role). */
        Optional<String> accessKeyId();

        /** Static credentials, with {@code access-key-id}. */
        Optional<String> secretAccessKey();

        /** Bound of every S3 call, SDK retries included. */
        Optional<Duration> timeout();

        /** HTTP connections to S3. */
        Optional<Integer> maxConcurrency();

        /** Background probe interval while S3 is down; the first write-behind retry delay. */
        Optional<Duration> retryInterval();
    }

    /** The durable tier when S3 is not configured. */
    interface Local {
        /** Directory of the adapters ({@code <dir>/[<tenant>/]adapters/<base-fingerprint>/<id>}). */
        Optional<Path> dir();

        /** Bytes of adapters kept in the directory; the least recently used go first. */
        Optional<MemorySize> maxBytes();
    }

    /** The fleet-wide training lock (used only with Redis). */
    interface Lock {
        /** Lock expiry; renewed every third of it by the holder. */
        Optional<Duration> ttl();

        /** First wait between checks of an instance waiting for another one's training. */
        Optional<Duration> pollInitial();

        /** Longest wait between those checks. */
        Optional<Duration> pollMax();
    }

    /** Adapters trained while the durable tier is down wait here, in memory, and are retried in the background. */
    interface WriteBehind {
        /** Bytes of waiting adapters; beyond this the oldest are dropped. */
        Optional<MemorySize> maxBytes();

        /** Longest delay between write-behind retries. */
        Optional<Duration> retryMax();
    }
}
