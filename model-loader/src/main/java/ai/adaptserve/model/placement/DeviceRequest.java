package ai.adaptserve.model.placement;

/** Where the operator asks the model to run ({@code adaptserve.model.device}). */
public enum DeviceRequest {
    /** The first GPU when libtorch sees one, else the CPU. */
    AUTO,
    /** The CPU, even when a GPU is there. */
    CPU,
    /** The first GPU; no GPU is a start-up error rather than a silent fall-back to a much slower CPU. */
    GPU
}
