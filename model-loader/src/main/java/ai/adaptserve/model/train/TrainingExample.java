package ai.adaptserve.model.train;

import java.util.Objects;

/**
 * A prompt and the completion the model should produce for it. Only the completion's tokens (and the end-of-sequence
 * token, where the model has one) count in the loss.
 */
public record TrainingExample(String prompt, String completion) {
    public TrainingExample {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(completion, "completion");
    }
}
