package ai.adaptserve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Arrays copied in from Java whose memory libtorch owns. DJL's {@code create(float[], shape)} copies the values into a
 * direct {@code ByteBuffer} and makes the tensor over that buffer, which is freed only when the garbage collector
 * collects the array object, not when the array is closed. For an array that lives through several young
 * collections (a parameter under training, a prepared adapter) the object is promoted, and after it is closed its
 * native memory waits for an old-generation collection, which a service with a small live heap may not run for hours:
 * the soak saw the JVM's native "Other" memory grow linearly with trainings. Here the values are cloned at once into
 * memory libtorch allocates and frees on close, and the buffer-backed array is dropped while it is still young.
 */
public final class LibtorchOwned {
    private LibtorchOwned() {}

    /** A tensor of {@code values} in {@code shape}, owned by {@code manager}, its memory freed when it is closed. */
    public static NDArray copyOf(NDManager manager, float[] values, Shape shape) {
        try (NDArray overJavaBuffer = manager.create(values, shape)) {
            return overJavaBuffer.duplicate(); // libtorch's clone, in the same manager
        }
    }
}
