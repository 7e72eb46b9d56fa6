package ai.adaptserve.model.train;

/** Why a trainer stopped. */
public enum StopReason {
    /** {@link TrainingBudget#maxSteps()} reached before the data was used up. */
    MAX_STEPS,
    /** {@link TrainingBudget#maxWallTime()} reached before the data was used up. */
    WALL_TIME,
    /** Every configured epoch, pass or iteration ran. */
    COMPLETED
}
