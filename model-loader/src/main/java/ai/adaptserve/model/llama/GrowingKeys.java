package ai.adaptserve.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * A {@link KvCache} for one batch of left-padded rows: the new keys are concatenated to the cached ones. A query
 * sees the valid keys up to its own position; a padding query sees only itself, so no softmax row is all-blocked.
 */
final class GrowingKeys implements PassKeys {
    private final KvCache cache;
    private final boolean[][] keyValid;
    private final int past;

    GrowingKeys(KvCache cache, boolean[][] keyValid) {
        this.cache = cache;
        this.keyValid = keyValid;
        this.past = (int) cache.length();
    }

    @Override
    public int keyLength(int s) {
        return past + s;
    }

    @Override
    public NDArray mask(NDManager step, int s, float blocked) {
        int b = keyValid.length;
        int t = past + s;
        boolean[] flat = new boolean[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(keyValid[i], 0, flat, i * t, t);
        }
        NDArray valid = step.create(flat).reshape(b, 1, t);
        NDArray key = step.arange(0, t).reshape(1, 1, t);
        NDArray query = step.arange(past, past + s).reshape(1, s, 1);
        NDArray allowed = key.lt(query).logicalAnd(valid).logicalOr(key.eq(query));
        return PassKeys.additive(allowed, blocked, b, s, t);
    }

    @Override
    public NDList extend(NDManager step, int layer, NDArray k, NDArray v) {
        k = k.transpose(0, 2, 1, 3);
        v = v.transpose(0, 2, 1, 3);
        if (past > 0) {
            k = cache.keys(layer).concat(k, 2);
            v = cache.values(layer).concat(v, 2);
        }
        cache.set(layer, k, v);
        return new NDList(k, v);
    }
}
