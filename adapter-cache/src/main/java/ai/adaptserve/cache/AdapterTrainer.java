package ai.adaptserve.cache;

/**
 * Produces the adapter of a key that no tier holds. Called by {@link AdapterStore#getOrCreate} at most once per key
 * across the fleet at a time (see {@link AdapterStore#getOrCreate}, and "Train once" in docs/cache.md for the exact
 * guarantee).
 *
 * <p>Runs on a thread of the store's training executor, while the fleet lock (if any) is renewed for it. It should
 * respond to interruption: the store interrupts it when it exceeds {@link AdapterCacheConfig#maxTrainingTime()}, and
 * when the store closes if the store owns the executor. The returned kind must be the kind the key was built with
 * (the store cannot check it: the key holds only the hash).
 */
@FunctionalInterface
public interface AdapterTrainer {

    /**
     * Trains the adapter identified by {@code key}.
     *
     * @return the adapter's kind, safetensors bytes and metadata; the store takes ownership of the payload array
     * @throws Exception any failure; every request waiting for this key then fails with {@link
     *     AdapterCacheException.TrainingFailed}, and nothing is cached
     */
    TrainedAdapter train(AdapterKey key) throws Exception;
}
