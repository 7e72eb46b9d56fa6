package ai.adaptserve.model.train;

/**
 * One finished optimizer step (or CEM iteration), as reported to a {@link TrainingListener}.
 *
 * @param phase what is being trained: {@code lora}, {@code svf-ce}, {@code svf-reinforce}, {@code document-lora},
 *     {@code document-svf} or {@code cem}
 * @param step 1-based number of the step just finished
 * @param loss the step's loss (see the trainer for what it measures)
 * @param elapsedMs wall time since the trainer started
 */
public record TrainingProgress(String phase, int step, double loss, long elapsedMs) {}
