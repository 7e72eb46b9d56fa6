package ai.adaptserve.model.checkpoint;

/** Element types of safetensors. */
public enum TensorDType {
    F64(8),
    F32(4),
    F16(2),
    BF16(2),
    I64(8),
    I32(4),
    I16(2),
    I8(1),
    U8(1),
    BOOL(1);

    private final int byteSize;

    TensorDType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype string used in safetensors headers ("F32", "BF16", ...). */
    public String safetensorsName() {
        return name();
    }

    /**
     * The dtype for a safetensors header string.
     *
     * @throws IllegalArgumentException for an unknown or unsupported dtype
     */
    public static TensorDType fromSafetensorsName(String name) {
        if (name != null) {
            for (TensorDType t : values()) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
        }
        throw new IllegalArgumentException("unknown safetensors dtype: " + name);
    }
}
