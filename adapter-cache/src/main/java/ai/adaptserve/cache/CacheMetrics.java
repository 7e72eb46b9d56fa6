package ai.adaptserve.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The store's Micrometer meters. Names (tags in brackets):
 *
 * <ul>
 *   <li>{@value #GETS} [tier, result=hit|miss] — lookups per tier;
 *   <li>{@value #GET_LATENCY} [tier] — time of a lookup in one tier, verification included;
 *   <li>{@value #BYTES_READ}, {@value #BYTES_WRITTEN} [tier] — stored bytes moved;
 *   <li>{@value #WRITES} [tier, result=ok|error|skipped] — writes per tier ({@code skipped}: too large for Redis);
 *   <li>{@value #TRAININGS_STARTED}, {@value #TRAININGS_JOINED}, {@value #TRAININGS_FAILED} — trainings run by this
 *       instance; requests that joined an in-flight request for the same key instead of doing the work again;
 *       trainings that failed;
 *   <li>{@value #TRAINING_LATENCY} — training time;
 *   <li>{@value #LOCK_WAITS}, {@value #LOCK_WAIT_LATENCY}, {@value #LOCK_LOST} — times this instance found another
 *       instance training the same adapter and waited for it; how long; renewals that found the lock gone;
 *   <li>{@value #LOCKS_TAKEN} [arbiter=redis|s3|redis+s3], {@value #TRAININGS_UNLOCKED} — fleet locks taken, by what
 *       arbitrated; trainings started with no fleet lock because neither Redis nor S3 could answer;
 *   <li>{@value #EVICTIONS} [tier=memory, cause] — memory evictions;
 *   <li>{@value #BAD_ENTRIES} [tier, reason] — stored bytes that failed verification (deleted unless written by a
 *       newer version);
 *   <li>{@value #TIER_ERRORS} [tier, op] and gauge {@value #TIER_UP} [tier] — failed calls and whether the tier is
 *       currently considered available (1) or down (0);
 *   <li>{@value #WRITE_BEHIND_PENDING}, {@value #WRITE_BEHIND_BYTES} (gauges), {@value #WRITE_BEHIND_DROPPED} —
 *       adapters waiting for the durable tier;
 *   <li>{@value #MEMORY_BYTES} (gauge) — bytes held by the memory tier.
 * </ul>
 */
public final class CacheMetrics {

    public static final String GETS = "adapter.cache.gets";
    public static final String GET_LATENCY = "adapter.cache.get.latency";
    public static final String BYTES_READ = "adapter.cache.bytes.read";
    public static final String BYTES_WRITTEN = "adapter.cache.bytes.written";
    public static final String WRITES = "adapter.cache.writes";
    public static final String TRAININGS_STARTED = "adapter.cache.trainings.started";
    public static final String TRAININGS_JOINED = "adapter.cache.trainings.joined";
    public static final String TRAININGS_FAILED = "adapter.cache.trainings.failed";
    public static final String TRAINING_LATENCY = "adapter.cache.training.latency";
    public static final String LOCK_WAITS = "adapter.cache.lock.waits";
    public static final String LOCK_WAIT_LATENCY = "adapter.cache.lock.wait.latency";
    public static final String LOCK_LOST = "adapter.cache.lock.lost";
    public static final String EVICTIONS = "adapter.cache.evictions";
    public static final String BAD_ENTRIES = "adapter.cache.bad.entries";
    public static final String TIER_ERRORS = "adapter.cache.tier.errors";
    public static final String TIER_UP = "adapter.cache.tier.up";
    public static final String WRITE_BEHIND_PENDING = "adapter.cache.write.behind.pending";
    public static final String WRITE_BEHIND_BYTES = "adapter.cache.write.behind.bytes";
    public static final String WRITE_BEHIND_DROPPED = "adapter.cache.write.behind.dropped";
    public static final String MEMORY_BYTES = "adapter.cache.memory.bytes";
    /** Gauges: trainings holding a slot, and flights waiting for one (see {@link TrainingLimits}). */
    public static final String TRAININGS_RUNNING = "adapter.cache.trainings.running";

    public static final String TRAININGS_QUEUED = "adapter.cache.trainings.queued";
    /** Trainings refused: {@code reason=queue-full|quota}. */
    public static final String TRAININGS_REJECTED = "adapter.cache.trainings.rejected";
    /** Trainings started without a fleet lock: Redis and S3 configured, but neither could arbitrate. */
    public static final String TRAININGS_UNLOCKED = "adapter.cache.trainings.unlocked";
    /** Fleet locks taken before a training, by what arbitrated: {@code arbiter=redis|s3|redis+s3}. */
    public static final String LOCKS_TAKEN = "adapter.cache.lock.taken";
    /** Trainings whose result was not written because this instance lost the fleet lock meanwhile. */
    public static final String TRAININGS_ABANDONED = "adapter.cache.trainings.abandoned";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    CacheMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    MeterRegistry registry() {
        return registry;
    }

    void hit(AdapterSource tier, long bytes, long nanos) {
        counter(GETS, "tier", tier.wireName(), "result", "hit").increment();
        if (tier != AdapterSource.MEMORY) {
            counter(BYTES_READ, "tier", tier.wireName()).increment(bytes);
        }
        latency(tier, nanos);
    }

    void miss(AdapterSource tier, long nanos) {
        counter(GETS, "tier", tier.wireName(), "result", "miss").increment();
        latency(tier, nanos);
    }

    private void latency(AdapterSource tier, long nanos) {
        timers.computeIfAbsent(
                        GET_LATENCY + tier,
                        k -> Timer.builder(GET_LATENCY)
                                .description("Time of a lookup in one tier, verification included")
                                .tag("tier", tier.wireName())
                                .register(registry))
                .record(Duration.ofNanos(nanos));
    }

    void written(AdapterSource tier, long bytes) {
        counter(WRITES, "tier", tier.wireName(), "result", "ok").increment();
        counter(BYTES_WRITTEN, "tier", tier.wireName()).increment(bytes);
    }

    void writeFailed(AdapterSource tier) {
        counter(WRITES, "tier", tier.wireName(), "result", "error").increment();
    }

    void writeSkipped(AdapterSource tier) {
        counter(WRITES, "tier", tier.wireName(), "result", "skipped").increment();
    }

    void trainingStarted() {
        counter(TRAININGS_STARTED).increment();
    }

    void trainingJoined() {
        counter(TRAININGS_JOINED).increment();
    }

    void trainingFailed() {
        counter(TRAININGS_FAILED).increment();
    }

    void trained(long nanos) {
        timers.computeIfAbsent(
                        TRAINING_LATENCY,
                        k -> Timer.builder(TRAINING_LATENCY)
                                .description("Time of the trainings run by this instance")
                                .register(registry))
                .record(Duration.ofNanos(nanos));
    }

    void lockWait() {
        counter(LOCK_WAITS).increment();
    }

    void lockWaited(long nanos) {
        timers.computeIfAbsent(
                        LOCK_WAIT_LATENCY,
                        k -> Timer.builder(LOCK_WAIT_LATENCY)
                                .description("Time spent waiting for another instance's training")
                                .register(registry))
                .record(Duration.ofNanos(nanos));
    }

    void trainingRejected(String reason) {
        counter(TRAININGS_REJECTED, "reason", reason).increment();
    }

    void trainingAbandoned() {
        counter(TRAININGS_ABANDONED).increment();
    }

    void trainingUnlocked() {
        counter(TRAININGS_UNLOCKED).increment();
    }

    void lockTaken(String arbiter) {
        counter(LOCKS_TAKEN, "arbiter", arbiter).increment();
    }

    void lockLost() {
        counter(LOCK_LOST).increment();
    }

    void evicted(String cause) {
        counter(EVICTIONS, "tier", "memory", "cause", cause).increment();
    }

    void badEntry(AdapterSource tier, String reason) {
        counter(BAD_ENTRIES, "tier", tier.wireName(), "reason", reason).increment();
    }

    void tierError(String tier, String op) {
        counter(TIER_ERRORS, "tier", tier, "op", op).increment();
    }

    void writeBehindDropped() {
        counter(WRITE_BEHIND_DROPPED).increment();
    }

    void gauge(String name, String description, Supplier<Number> value, String... tags) {
        Gauge.builder(name, value)
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }

    private Counter counter(String name, String... tags) {
        String id = tags.length == 0 ? name : name + String.join(",", tags);
        return counters.computeIfAbsent(
                id, k -> Counter.builder(name).tags(tags).register(registry));
    }
}
