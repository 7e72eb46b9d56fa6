package ai.adaptserve.function.generation;

import ai.adaptserve.model.generate.TokenListener;
import ai.adaptserve.model.train.TrainingListener;
import java.util.List;

/**
 * Hears a request's progress while {@link GenerateService} answers it: what the request was taken to be, the training
 * of its adapter, the adapter, and each sample's tokens. Streaming responses are built from these; a token listener
 * that throws {@link TokenListener.GenerationCancelled} cancels the generation (a training goes on and is cached).
 * Every method has a default that hears nothing.
 */
public interface GenerationObserver {

    /** Hears nothing. */
    GenerationObserver NONE = new GenerationObserver() {};

    /** What the request was taken to be; once per request, before its training (if any). */
    default void routed(GenerateResponse.Task task) {}

    /** Hears the steps of a training this request starts; called on the training's thread. */
    default TrainingListener training() {
        return TrainingListener.NONE;
    }

    /** The adapter the answer is generated with; once per request, before the first token. */
    default void adapted(GenerateResponse.Adapter adapter) {}

    /**
     * Hears the tokens of sample {@code index} (0-based), on the decoding thread.
     *
     * @param stop the sample's stop strings (the request's, or the default of its prompt format)
     */
    default TokenListener sample(int index, List<String> stop) {
        return TokenListener.NONE;
    }
}
