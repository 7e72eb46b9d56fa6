package ai.adaptserve.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * How a batch's adapters change each projection of the forward pass. The decoder asks for every matrix
 * product {@code y = x · W} through here, so base weights are never modified: an adapter adds to, or stands
 * in for, the product.
 */
public interface AdapterBatch {

    /** The base model for every row. */
    AdapterBatch NONE = new AdapterBatch() {
        @Override
        public NDArray project(NDManager step, MatrixRef m, NDArray x, NDArray baseT) {
            return x.matMul(baseT);
        }

        @Override
        public NDArray projectSideBySide(
                NDManager step, List<MatrixRef> ms, NDArray x, NDArray sideBySideT, List<NDArray> partsT) {
            return x.matMul(sideBySideT);
        }
    };

    /**
     * {@code x · W'} for matrix {@code m}.
     *
     * @param step owner of the temporaries made for this forward step
     * @param x activations {@code [B, S, in]}
     * @param baseT the base weight as {@code [in, out]}
     * @return {@code [B, S, out]}
     */
    NDArray project(NDManager step, MatrixRef m, NDArray x, NDArray baseT);

    /**
     * The products of matrices that read the same input, side by side: {@code [x·W'_1 | … | x·W'_n]} as
     * {@code [B, S, Σ out]}, from one product over the base weights stored side by side. Null when this batch changes
     * one of the matrices in a way the shared product cannot carry; the caller then asks for each by {@link #project}.
     * This default always answers null (an adapter batch that is trained, for one, keeps its products apart).
     *
     * @param ms the matrices, in the order their weights sit in {@code sideBySideT}
     * @param sideBySideT the base weights side by side, {@code [in, Σ out]}
     * @param partsT each matrix's base weight alone, {@code [in, out_i]} (views into {@code sideBySideT})
     */
    default NDArray projectSideBySide(
            NDManager step, List<MatrixRef> ms, NDArray x, NDArray sideBySideT, List<NDArray> partsT) {
        return null;
    }
}
