package ai.adaptserve.model;

import ai.djl.ndarray.types.DataType;

/**
 * How to hold a loaded model.
 *
 * @param computeType F32 on CPU (BF16 crashes this DJL/PyTorch pair on CPU, F16 is slower); F16 on GPU hosts
 * @param device DJL device name: {@code cpu}, {@code gpu}, {@code gpu(1)}; empty for the engine's default
 */
public record ModelOptions(DataType computeType, String device) {
    public ModelOptions {
        if (computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16 && computeType != DataType.BFLOAT16) {
            throw new IllegalArgumentException("computeType must be float32, float16 or bfloat16, was " + computeType);
        }
    }

    public static ModelOptions defaults() {
        return new ModelOptions(DataType.FLOAT32, "");
    }
}
