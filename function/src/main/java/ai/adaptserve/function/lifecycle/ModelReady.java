package ai.adaptserve.function.lifecycle;

/**
 * Fired (synchronously, on the loading thread) once the base model serves requests, for work that should happen
 * before the first request needs it, such as warming up the trainer.
 *
 * @param model the model now being served
 */
public record ModelReady(ServedModel model) {}
