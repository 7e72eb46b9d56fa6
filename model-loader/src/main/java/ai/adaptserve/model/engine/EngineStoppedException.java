package ai.adaptserve.model.engine;

/** The engine was closed before the request finished. */
public final class EngineStoppedException extends RuntimeException {
    public EngineStoppedException(String message) {
        super(message);
    }
}
