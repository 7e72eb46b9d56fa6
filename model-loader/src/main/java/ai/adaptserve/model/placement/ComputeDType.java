package ai.adaptserve.model.placement;

import ai.djl.ndarray.types.DataType;

/** The data type the weights are held and multiplied in ({@code adaptserve.model.dtype}). */
public enum ComputeDType {
    F32(DataType.FLOAT32),
    F16(DataType.FLOAT16),
    BF16(DataType.BFLOAT16);

    private final DataType djl;

    ComputeDType(DataType djl) {
        this.djl = djl;
    }

    /** DJL's name of this type. */
    public DataType djl() {
        return djl;
    }
}
