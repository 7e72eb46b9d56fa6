package ai.adaptserve.cache;

/**
 * Turns a verified adapter's payload into what its user runs (for the function: the parsed tensors of the forward
 * pass). Registered with a store ({@link TieredAdapterStore.Builder#decoder}), it lets the memory tier keep each adapter
 * once, decoded: the tier holds the decoded value and the adapter's metadata, weighed by {@link #weight}, and drops the
 * payload bytes. Read the value with {@link StoredAdapter#decoded(AdapterDecoder)}.
 *
 * <p>Must be thread-safe. Called at most once per adapter entering the memory tier (or per read when the tier is off),
 * on the thread that reads or stores it.
 *
 * @param <T> the decoded form
 */
public interface AdapterDecoder<T> {

    /**
     * Decodes {@code adapter}'s payload, which passed the store's checks (length, checksum, key, base model).
     *
     * @throws Exception if the payload is not a usable adapter; the adapter is then not kept in memory, and
     *     {@link StoredAdapter#decoded} throws {@link AdapterCacheException.Undecodable} with this as its cause
     */
    T decode(StoredAdapter adapter) throws Exception;

    /** Bytes of memory {@code decoded} holds: its weight in the memory tier's {@code memory.max-bytes}. */
    long weight(T decoded);
}
