package ai.adaptserve.model.train;

/** Receives one event per finished step, on the training thread; must return quickly. */
@FunctionalInterface
public interface TrainingListener {

    /** Ignores every event. */
    TrainingListener NONE = p -> {};

    void onProgress(TrainingProgress p);
}
