package ai.adaptserve.cache;

import java.util.Map;
import java.util.Objects;

/**
 * What a trainer (or an upload) hands to the store: the adapter's kind, its bytes (a safetensors file, opaque to the
 * cache) and string metadata that travels with it.
 *
 * <p>The store takes ownership of {@code payload}: do not modify the array afterwards.
 *
 * @param kind the adapter kind; must be the kind the key was built with
 * @param payload the adapter file's bytes
 * @param metadata small string metadata (at most 64 entries; keys up to 128 and values up to 4096 bytes of UTF-8)
 */
public record TrainedAdapter(AdapterKind kind, byte[] payload, Map<String, String> metadata) {

    public TrainedAdapter {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(payload, "payload");
        metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
    }

    /** An adapter without metadata. */
    public static TrainedAdapter of(AdapterKind kind, byte[] payload) {
        return new TrainedAdapter(kind, payload, Map.of());
    }
}
