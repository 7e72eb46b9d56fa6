package ai.adaptserve.model.adapter;

/**
 * Adapter bytes that must not be used: truncated, tampered with (checksum mismatch), made for another base model, or
 * shaped for another model. The message names the problem and, where there is one, the tensor.
 */
public final class MalformedAdapterException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedAdapterException(String message) {
        super(message);
    }

    public MalformedAdapterException(String message, Throwable cause) {
        super(message, cause);
    }
}
