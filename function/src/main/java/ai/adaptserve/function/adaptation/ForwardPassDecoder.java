package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterDecoder;
import ai.adaptserve.cache.StoredAdapter;
import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.adapter.MalformedAdapterException;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Parses and verifies an adapter file for the forward pass of the served model (checksum over every tensor, shapes
 * against the model, float conversion, kind against the cache entry). Registered with the adapter store, so that the
 * store's memory tier keeps each hot adapter once, parsed, weighed by its F32 parameter bytes: a hot adapter costs a
 * map lookup, not a parse, per request. Thread-safe; a {@code @Singleton} (no client proxy), because the store
 * recognises its decoder by identity.
 */
@Singleton
class ForwardPassDecoder implements AdapterDecoder<AdapterFile.Read> {

    private final ModelHolder models;
    private final AdapterMetrics metrics;

    ForwardPassDecoder(ModelHolder models, AdapterMetrics metrics) {
        this.models = models;
        this.metrics = metrics;
    }

    /**
     * @throws MalformedAdapterException if the payload fails verification, or its base model is not being served
     */
    @Override
    public AdapterFile.Read decode(StoredAdapter stored) throws MalformedAdapterException {
        LoadedModel model = models.ready()
                .flatMap(ServedModel::loaded)
                .filter(m -> m.fingerprint().equals(stored.baseFingerprint()))
                .orElseThrow(() -> new MalformedAdapterException(
                        "its base model " + stored.baseFingerprint() + " is not the one being served"));
        long start = System.nanoTime();
        try {
            AdapterFile.Read read = AdapterFile.fromBytes(stored.payloadBytes(), model.fingerprint(), model.config());
            if (!read.adapter().kind().equals(stored.kind().wireName())) {
                throw new MalformedAdapterException(
                        "the file holds a " + read.adapter().kind() + " adapter, the cache entry says "
                                + stored.kind().wireName());
            }
            metrics.parsed(true, Duration.ofNanos(System.nanoTime() - start));
            return read;
        } catch (MalformedAdapterException | RuntimeException e) {
            metrics.parsed(false, Duration.ofNanos(System.nanoTime() - start));
            if (e instanceof MalformedAdapterException m) {
                throw m;
            }
            // The parser's own checks throw MalformedAdapterException; anything else is still bad bytes, not a bug
            // worth a 500 with no explanation.
            throw new MalformedAdapterException("unreadable adapter file: " + e, e);
        }
    }

    /** The adapter's parameters as F32. */
    @Override
    public long weight(AdapterFile.Read read) {
        return read.adapter().parameterBytes();
    }
}
