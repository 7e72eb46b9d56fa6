package ai.adaptserve.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * How a batch's adapters change each projection of the forward pass. The decoder asks for every matrix
 * product {@code y = x · W} through here, so base weights are never modified: an adapter adds to, or stands
 * in for, the product.
 */
public interface AdapterBatch {

    /** The base model for every row. */
    AdapterBatch NONE = (step, m, x, baseT) -> x.matMul(baseT);

    /**
     * {@code x · W'} for matrix {@code m}.
     *
     * @param step owner of the temporaries made for this forward step
     * @param x activations {@code [B, S, in]}
     * @param baseT the base weight as {@code [in, out]}
     * @return {@code [B, S, out]}
     */
    NDArray project(NDManager step, MatrixRef m, NDArray x, NDArray baseT);
}
