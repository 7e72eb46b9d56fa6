package ai.adaptserve.model.train;

/**
 * The clock a trainer measures its wall-time budget with: the system's monotonic clock in service, one that a test
 * moves by hand where a test must know exactly when the budget runs out.
 */
@FunctionalInterface
public interface TrainingClock {

    /** {@link System#nanoTime()}. */
    TrainingClock SYSTEM = System::nanoTime;

    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long nanoTime();
}
