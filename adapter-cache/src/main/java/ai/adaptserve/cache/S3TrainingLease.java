package ai.adaptserve.cache;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The fleet training lock on the durable tier: a lease object per adapter key on S3, which arbitrates when Redis is
 * down or too slow to answer (and, with Redis, is taken too, so that an instance that could not reach Redis still sees
 * the training).
 *
 * <ul>
 *   <li>Acquire: create {@code <prefix>[<tenant>/]adapters/.leases/<base>/<id>} with {@code If-None-Match: *}. The body names
 *       the holder (instance id and a random lease id), a generation (the fencing token: 1, then one more at each
 *       takeover), a renewal count and the holder's own idea of its expiry (for people reading the bucket).
 *   <li>Renew: rewrite it with {@code If-Match} on the last ETag (the renewal count changes, so the ETag does); a
 *       refused condition means another instance took the lease over: the lease is lost.
 *   <li>Release: delete it with {@code If-Match}.
 *   <li>Takeover: a waiter remembers the lease's ETag and when it first saw it, on its own monotonic clock; once the
 *       same ETag has stood for a whole TTL (the holder renews every third of it), the holder is taken for dead and the
 *       lease is replaced with {@code If-Match} on that ETag, so of two waiters taking over one wins. No two clocks are
 *       compared.
 * </ul>
 *
 * <p>A call that timed out may have been carried out: each acquisition reads the lease back and keeps it only if the
 * body is its own, and a refused renewal looks whether the current body is still its own (an earlier renewal that
 * timed out on this side but landed). The read-back also covers an endpoint whose conditional writes are checked and
 * applied in two steps (of two racing writers, the later body is the one both read). Before writing an adapter, the
 * holder reads the lease once more ({@link #holds}).
 */
final class S3TrainingLease {

    /** A held lease: its body's identity and the ETag of its last write (changed by each renewal). */
    static final class Lease {
        private final AdapterKey key;
        private final String leaseId;
        private final long generation;
        private volatile int renewals;
        private volatile String etag;

        private Lease(AdapterKey key, String leaseId, long generation, String etag) {
            this.key = key;
            this.leaseId = leaseId;
            this.generation = generation;
            this.etag = etag;
        }

        AdapterKey key() {
            return key;
        }

        long generation() {
            return generation;
        }
    }

    /**
     * What a waiter saw of another instance's lease: its ETag and since when (monotonic). One per waiting flight, kept
     * across its polls.
     */
    static final class Watch {
        private String etag;
        private long sinceNanos;
    }

    private final S3Tier s3;
    private final Duration ttl;
    private final String instanceId;

    S3TrainingLease(S3Tier s3, Duration ttl, String instanceId) {
        this.s3 = s3;
        this.ttl = ttl;
        this.instanceId = instanceId;
    }

    /**
     * The lease of {@code key}: a new one, or the one of a holder that stopped renewing for a TTL (as {@code watch}
     * saw it), or of an earlier flight of this instance. Empty while another instance holds it.
     */
    Optional<Lease> tryAcquire(AdapterKey key, Watch watch) throws TierUnavailableException {
        Lease fresh = new Lease(key, UUID.randomUUID().toString(), 1, null);
        Optional<String> created;
        try {
            created = s3.createLease(key, body(fresh));
        } catch (TierUnavailableException e) {
            // It may have been written before the answer was lost: the read-back tells.
            return readBack(fresh);
        }
        if (created.isPresent()) {
            fresh.etag = created.get();
            return readBack(fresh);
        }
        Optional<S3Tier.LeaseObject> current = s3.getLease(key);
        if (current.isEmpty()) {
            return Optional.empty(); // released between the two calls: the next poll creates it
        }
        Map<String, String> held = parse(current.get().body());
        String etag = current.get().etag();
        long now = System.nanoTime();
        boolean ownStale = instanceId.equals(held.get("holder"));
        if (!ownStale) {
            if (!etag.equals(watch.etag)) {
                watch.etag = etag;
                watch.sinceNanos = now;
                return Optional.empty();
            }
            if (now - watch.sinceNanos < ttl.toNanos()) {
                return Optional.empty();
            }
        }
        Lease next = new Lease(key, UUID.randomUUID().toString(), generation(held) + 1, null);
        Optional<String> replaced = s3.replaceLease(key, body(next), etag);
        if (replaced.isEmpty()) {
            return Optional.empty(); // another waiter took it over, or the holder renewed just now
        }
        next.etag = replaced.get();
        return readBack(next);
    }

    /** {@code lease} if the lease object now holds its body (taking the ETag read), else empty. */
    private Optional<Lease> readBack(Lease lease) throws TierUnavailableException {
        Optional<S3Tier.LeaseObject> current = s3.getLease(lease.key);
        if (current.isPresent() && isOurs(lease, parse(current.get().body()))) {
            lease.etag = current.get().etag();
            return Optional.of(lease);
        }
        return Optional.empty();
    }

    /** Whether the lease object still holds {@code lease}. */
    boolean holds(Lease lease) throws TierUnavailableException {
        Optional<S3Tier.LeaseObject> current = s3.getLease(lease.key);
        return current.isPresent() && isOurs(lease, parse(current.get().body()));
    }

    /** Extends the lease; false if another instance took it over (or it is gone). */
    boolean renew(Lease lease) throws TierUnavailableException {
        lease.renewals++;
        Optional<String> replaced = s3.replaceLease(lease.key, body(lease), lease.etag);
        if (replaced.isPresent()) {
            lease.etag = replaced.get();
            return true;
        }
        // An earlier renewal that timed out here may have landed and changed the ETag.
        return readBack(lease).isPresent();
    }

    /** Deletes the lease if it is still ours. */
    void release(Lease lease) throws TierUnavailableException {
        if (!s3.deleteLease(lease.key, lease.etag)) {
            Optional<S3Tier.LeaseObject> current = s3.getLease(lease.key);
            if (current.isPresent() && isOurs(lease, parse(current.get().body()))) {
                s3.deleteLease(lease.key, current.get().etag());
            }
        }
    }

    private boolean isOurs(Lease lease, Map<String, String> held) {
        return instanceId.equals(held.get("holder")) && lease.leaseId.equals(held.get("lease"));
    }

    private byte[] body(Lease lease) {
        return ("holder=" + instanceId + "\n"
                        + "lease=" + lease.leaseId + "\n"
                        + "generation=" + lease.generation + "\n"
                        + "renewal=" + lease.renewals + "\n"
                        + "expires=" + Instant.now().plus(ttl) + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, String> parse(byte[] body) {
        Map<String, String> fields = new HashMap<>();
        for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return fields;
    }

    private static long generation(Map<String, String> held) {
        try {
            return Math.max(0, Long.parseLong(held.getOrDefault("generation", "0")));
        } catch (NumberFormatException e) {
            return 0; // not a lease this code wrote: taken over like any other
        }
    }
}
