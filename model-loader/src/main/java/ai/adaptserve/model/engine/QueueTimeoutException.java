package ai.adaptserve.model.engine;

/** A request waited for slots until its caller gave up on it; it never ran. */
public final class QueueTimeoutException extends RuntimeException {
    public QueueTimeoutException(String message) {
        super(message);
    }
}
