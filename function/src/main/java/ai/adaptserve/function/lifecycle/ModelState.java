package ai.adaptserve.function.lifecycle;

import java.time.Duration;
import java.time.Instant;

/** Where the base model is in its life: loading, ready to serve, or failed to load. */
public sealed interface ModelState {

    /**
     * The model is being loaded.
     *
     * @param source what is being loaded (a checkpoint directory, or the built-in model)
     * @param since when loading started
     */
    record Loading(String source, Instant since) implements ModelState {}

    /**
     * The model serves requests.
     *
     * @param model the loaded model
     * @param loadTime how long loading took
     */
    record Ready(ServedModel model, Duration loadTime) implements ModelState {}

    /**
     * Loading failed; the instance stays unready.
     *
     * @param source what was being loaded
     * @param reason why it failed, for the readiness check and the logs
     */
    record Failed(String source, String reason) implements ModelState {}
}
