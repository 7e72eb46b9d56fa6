package ai.adaptserve.cache;

import java.util.Objects;

/**
 * An adapter as served to one request.
 *
 * @param adapter the verified adapter; with a store {@linkplain TieredAdapterStore.Builder#decoder decoder}, decoded
 *     ({@link StoredAdapter#decoded}) and without its payload, unless the decoder rejected it
 * @param source the tier that served it, or {@link AdapterSource#TRAINED}
 * @param trainMillis how long the training took when {@code source} is {@code TRAINED}, else 0
 * @param durable whether the adapter is known to be in the durable tier (S3 or the local directory). {@code false}
 *     only while the durable tier is unavailable: the adapter then waits in the write-behind queue
 */
public record AdapterResult(StoredAdapter adapter, AdapterSource source, long trainMillis, boolean durable) {

    public AdapterResult {
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(source, "source");
    }
}
