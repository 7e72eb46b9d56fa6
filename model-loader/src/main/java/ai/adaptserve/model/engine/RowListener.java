package ai.adaptserve.model.engine;

/**
 * Told of each token a request's row produces, on the engine's thread: keep it short and do not block. A listener that
 * throws ends its request as if the client had gone.
 */
@FunctionalInterface
public interface RowListener {

    /** Does nothing. */
    RowListener NONE = (sample, text, finished) -> {};

    /**
     * @param sample the row's index among the request's samples
     * @param text the row's text so far (a stop string cut off)
     * @param finished whether this was the row's last token
     */
    void onToken(int sample, String text, boolean finished);
}
