package ai.adaptserve.cache;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Adapters by content key, shared by every instance of the fleet, each trained once.
 *
 * <p>Reads go through the tiers fastest first (memory, Redis, the durable tier) and promote what they find into the
 * faster tiers. Writes go to the durable tier first, then Redis, then memory: no other instance hears of an adapter
 * before it is durable. Every byte read from outside the process is verified (length, checksum, key, base model)
 * before use; a bad entry is deleted and counted, and the read is a miss.
 *
 * <p>A failing tier never fails a training request: the store serves from the tiers that work and, failing all, trains.
 * A lookup by id ({@link #get}) that cannot tell whether the adapter exists says so ({@link
 * AdapterCacheException.Unavailable}) instead of answering "absent".
 *
 * <p>Methods block (they wait on network calls and trainings): call them from worker or virtual threads, never from
 * an event loop. Implementations are thread-safe.
 */
public interface AdapterStore extends AutoCloseable {

    /**
     * The adapter of {@code key} from the fastest tier that holds it, or empty. Never trains. Empty means absent: an
     * outage is not reported as an absence.
     *
     * @return the adapter and the tier that served it
     * @throws AdapterCacheException.Unavailable if nothing usable was found and the durable tier could not answer, or
     *     holds an entry this instance cannot read (its own {@code max-adapter-bytes}, a newer format)
     * @throws AdapterCacheException.Unauthenticated if the entry found fails the HMAC check
     */
    Optional<AdapterResult> get(AdapterKey key);

    /**
     * The adapter of {@code key}, trained by {@code trainer} if no tier holds it.
     *
     * <p>Concurrent calls for the same key on this instance share one lookup and at most one training; with Redis,
     * instances also share the training through a lock (the others wait for the adapter to be announced). Each caller
     * waits at most {@code timeout}; when it passes the work goes on and its result is cached for later requests.
     *
     * @throws AdapterCacheException.TrainingFailed if the training failed (every waiter gets this)
     * @throws AdapterCacheException.WaitTimedOut if {@code timeout} passed first
     * @throws AdapterCacheException.Interrupted if the calling thread was interrupted or the store closed
     * @throws AdapterCacheException.Overloaded if the training queue is full ({@link TrainingLimits})
     * @throws AdapterCacheException.QuotaExceeded if the key's tenant is at its quota
     */
    AdapterResult getOrCreate(AdapterKey key, AdapterTrainer trainer, Duration timeout);

    /**
     * As {@link #getOrCreate}, without blocking the caller: the future completes with the result or one of the
     * exceptions of {@code getOrCreate} (but never {@code WaitTimedOut}: bound it with {@link
     * CompletableFuture#orTimeout}).
     */
    CompletableFuture<AdapterResult> getOrCreateAsync(AdapterKey key, AdapterTrainer trainer);

    /**
     * Stores an adapter made elsewhere (an upload): durable tier, then Redis, then memory.
     *
     * @return the stored adapter, with {@link AdapterSource#TRAINED} and whether it is durable yet
     */
    AdapterResult put(AdapterKey key, TrainedAdapter adapter);

    /**
     * The adapters of {@code tenant} (empty: the keys without a tenant) for the base model {@code baseFingerprint} that
     * the durable tier holds, at most {@code max}. Adapters still waiting for the durable tier (trained during its
     * outage) are not listed. Blocks on the durable tier, within its timeout.
     */
    AdapterListing list(Optional<String> tenant, String baseFingerprint, int max);

    /** Stops background work and closes the tier clients. Adapters still waiting to become durable are lost. */
    @Override
    void close();
}
