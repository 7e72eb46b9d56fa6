package ai.adaptserve.cache;

/** A call to a remote tier failed or timed out: the tier is treated as down for a while, the request goes on. */
final class TierUnavailableException extends Exception {

    TierUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
