package ai.adaptserve.model.engine;

import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.llama.KvSlots;
import ai.djl.ndarray.types.DataType;

/**
 * How an engine is sized.
 *
 * @param kvBytes byte budget of the preallocated keys and values of every row
 * @param maxRows most rows decoded at once (fewer if the budget holds fewer slots)
 * @param maxSequenceTokens positions per row, prompt plus completion (at most the model's context)
 * @param maxWaiting requests that may wait for slots; past that a request is refused at once
 * @param prefillChunk prompt tokens run per engine step while rows are decoding, so a long prompt does not stall them
 * @param preparedAdapterBytes bytes of adapters' prepared tensors kept across requests ({@link
 *     ai.adaptserve.model.adapter.PreparedAdapters}); 0 prepares each adapter for its batch only
 */
public record EngineSettings(
        long kvBytes, int maxRows, int maxSequenceTokens, int maxWaiting, int prefillChunk, long preparedAdapterBytes) {

    /** The default bound of prepared adapters: 64 MiB. */
    public static final long DEFAULT_PREPARED_ADAPTER_BYTES = 64L << 20;

    public EngineSettings {
        if (kvBytes <= 0
                || maxRows < 1
                || maxSequenceTokens < 2
                || maxWaiting < 0
                || prefillChunk < 1
                || preparedAdapterBytes < 0) {
            throw new IllegalArgumentException("invalid engine settings: " + kvBytes + " bytes, " + maxRows + " rows, "
                    + maxSequenceTokens + " positions, " + maxWaiting + " waiting, chunk " + prefillChunk
                    + ", prepared adapters " + preparedAdapterBytes + " bytes");
        }
    }

    /** With the default bound of prepared adapters. */
    public EngineSettings(long kvBytes, int maxRows, int maxSequenceTokens, int maxWaiting, int prefillChunk) {
        this(kvBytes, maxRows, maxSequenceTokens, maxWaiting, prefillChunk, DEFAULT_PREPARED_ADAPTER_BYTES);
    }

    /** Positions per slot for this model: the setting, capped at the model's context. */
    int slotLength(ModelConfig cfg) {
        return Math.min(maxSequenceTokens, cfg.maxPositionEmbeddings());
    }

    /** Slots that fit the budget and the row limit; 0 when not even one fits. */
    int slots(ModelConfig cfg, DataType dtype) {
        long perSlot = KvSlots.bytesPerSlot(cfg, dtype, slotLength(cfg));
        return (int) Math.min(maxRows, kvBytes / perSlot);
    }
}
