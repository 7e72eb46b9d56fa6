package ai.adaptserve.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Where one forward pass keeps its new keys and values, and which cached keys each new position may attend to. Two
 * kinds: a cache that grows by concatenation for one batch ({@link GrowingKeys}), and preallocated slots shared by a
 * running batch whose rows join and leave ({@link SlotKeys}).
 */
interface PassKeys {

    /** Number of key positions {@code T} the pass attends over, for {@code s} new positions per row. */
    int keyLength(int s);

    /**
     * The additive attention mask {@code [B, 1, 1, S, T]} in F32, built from tensors (nothing of size S·T on the Java
     * heap): 0 where a query may attend to a key, {@code blocked} elsewhere. Null when no query of the pass is blocked
     * from any key (a decode step whose rows all have the same length), so attention adds nothing.
     */
    NDArray mask(NDManager step, int s, float blocked);

    /**
     * Keeps the new keys and values of layer {@code layer} ({@code [B, S, kvHeads, headDim]}, as the projections
     * make them) and returns the keys and values attention reads, {@code [B, kvHeads, T, headDim]}, owned by
     * {@code step} or by the cache.
     */
    NDList extend(NDManager step, int layer, NDArray k, NDArray v);

    /** {@code blocked} where {@code allowed} is false, 0 where true, as F32 of shape {@code [B, 1, 1, S, T]}. */
    static NDArray additive(NDArray allowed, float blocked, int b, int s, int t) {
        NDArray blockedScore = allowed.getManager().create(blocked);
        return allowed.logicalNot()
                .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                .mul(blockedScore)
                .reshape(b, 1, 1, s, t);
    }
}
