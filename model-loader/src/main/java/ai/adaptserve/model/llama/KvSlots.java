package ai.adaptserve.model.llama;

import ai.adaptserve.model.config.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of a running batch in preallocated slots: per layer one tensor {@code [slots, kvHeads, slotLength,
 * headDim]} made once, so that a decode step writes its new position in place instead of concatenating. A row owns a
 * slot from its prefill to its end; its position {@code p} lives at index {@code p} of its slot. Not thread-safe: one
 * engine thread uses it. Closing it frees the tensors.
 */
public final class KvSlots implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int slots;
    private final int slotLength;
    private final long bytesPerSlot;

    /**
     * @param weights the model whose keys and values the slots hold (layers, heads, compute type)
     * @param slots number of rows that can be held at once
     * @param slotLength positions per row (prompt plus completion)
     */
    public KvSlots(LlamaWeights weights, int slots, int slotLength) {
        if (slots < 1 || slotLength < 2) {
            throw new IllegalArgumentException(
                    "need at least 1 slot of 2 positions, got " + slots + " of " + slotLength);
        }
        ModelConfig cfg = weights.config();
        this.slots = slots;
        this.slotLength = slotLength;
        this.bytesPerSlot = bytesPerSlot(cfg, weights.dtype(), slotLength);
        this.manager = weights.manager().newSubManager();
        this.keys = new NDArray[cfg.numLayers()];
        this.values = new NDArray[cfg.numLayers()];
        Shape shape = new Shape(slots, cfg.numKvHeads(), slotLength, cfg.headDim());
        for (int l = 0; l < keys.length; l++) {
            keys[l] = manager.zeros(shape, weights.dtype());
            values[l] = manager.zeros(shape, weights.dtype());
        }
    }

    /** Bytes of keys and values one row of {@code slotLength} positions takes in every layer. */
    public static long bytesPerSlot(ModelConfig cfg, DataType dtype, int slotLength) {
        return 2L * cfg.numLayers() * cfg.numKvHeads() * cfg.headDim() * slotLength * dtype.getNumOfBytes();
    }

    public int slots() {
        return slots;
    }

    public int slotLength() {
        return slotLength;
    }

    public long bytesPerSlot() {
        return bytesPerSlot;
    }

    /** Copies the first {@code length} positions of slot {@code from} to slot {@code to}, in every layer. */
    public void copyPrefix(int from, int to, int length) {
        try (NDManager step = manager.newSubManager()) {
            NDIndex src = new NDIndex("{}, :, :{}, :", from, length);
            NDIndex dst = new NDIndex("{}, :, :{}, :", to, length);
            for (int l = 0; l < keys.length; l++) {
                keys[l].set(dst, keys[l].get(step, src));
                values[l].set(dst, values[l].get(step, src));
            }
        }
    }

    /** Copies a one-row cache (a prompt prefilled on its own, unpadded) into the first positions of {@code slot}. */
    void load(int slot, KvCache cache) {
        int length = (int) cache.length();
        if (length > slotLength) {
            throw new IllegalArgumentException(
                    "a cache of " + length + " positions does not fit a slot of " + slotLength);
        }
        NDIndex dst = new NDIndex("{}, :, :{}, :", slot, length);
        for (int l = 0; l < keys.length; l++) {
            keys[l].set(dst, cache.keys(l).get(0));
            values[l].set(dst, cache.values(l).get(0));
        }
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    @Override
    public void close() {
        manager.close();
    }
}
