package ai.adaptserve.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of every layer for a batch, {@code [batch, kvHeads, length, headDim]}, owned by the
 * request's manager so that closing the request frees them. Replaced arrays are closed at once.
 */
public final class KvCache {
    private final NDManager owner;
    private final NDArray[] keys;
    private final NDArray[] values;

    public KvCache(NDManager owner, int layers) {
        this.owner = owner;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Number of positions cached so far. */
    long length() {
        return keys[0] == null ? 0 : keys[0].getShape().get(2);
    }

    /** Repeats the one row of the cache {@code n} times along the batch axis: each row then grows on its own. */
    void repeatRows(int n) {
        if (keys[0] == null || keys[0].getShape().get(0) != 1) {
            throw new IllegalStateException("only a filled one-row cache repeats");
        }
        for (int l = 0; l < keys.length; l++) {
            set(l, keys[l].repeat(0, n), values[l].repeat(0, n));
        }
    }

    void set(int layer, NDArray k, NDArray v) {
        k.attach(owner);
        v.attach(owner);
        if (keys[layer] != null && keys[layer] != k) {
            keys[layer].close();
        }
        if (values[layer] != null && values[layer] != v) {
            values[layer].close();
        }
        keys[layer] = k;
        values[layer] = v;
    }
}
