package ai.adaptserve.model.route;

/**
 * A router file that must not be used: truncated, tampered with (checksum mismatch), inconsistent (shapes, labels,
 * threshold, non-finite values), or made for another base model. The message names the file and the problem.
 */
public final class MalformedRouterException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedRouterException(String message) {
        super(message);
    }

    public MalformedRouterException(String message, Throwable cause) {
        super(message, cause);
    }
}
