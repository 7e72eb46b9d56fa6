package ai.adaptserve.model.train;

import java.time.Duration;
import java.util.Objects;

/**
 * How much a trainer may spend: it checks both limits before every optimizer step (for CEM, before every
 * iteration) and stops cleanly when either is reached. The wall time counts from the trainer's start, setup
 * included.
 *
 * @param maxSteps most optimizer steps (0 trains nothing)
 * @param maxWallTime most wall-clock time
 * @param clock what the wall time is read from ({@link TrainingClock#SYSTEM} unless a test moves it)
 */
public record TrainingBudget(int maxSteps, Duration maxWallTime, TrainingClock clock) {
    public TrainingBudget {
        Objects.requireNonNull(clock, "clock");
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0, was " + maxSteps);
        }
        Objects.requireNonNull(maxWallTime, "maxWallTime");
        if (maxWallTime.isNegative()) {
            throw new IllegalArgumentException("maxWallTime must not be negative, was " + maxWallTime);
        }
    }

    /** At most {@code maxSteps} steps and {@code maxWallTime} on the system clock. */
    public TrainingBudget(int maxSteps, Duration maxWallTime) {
        this(maxSteps, maxWallTime, TrainingClock.SYSTEM);
    }

    /** This budget with its wall time read from {@code clock}. */
    public TrainingBudget withClock(TrainingClock clock) {
        return new TrainingBudget(maxSteps, maxWallTime, clock);
    }

    /** At most {@code maxSteps} steps, with no practical limit on time. */
    public static TrainingBudget steps(int maxSteps) {
        return new TrainingBudget(maxSteps, Duration.ofDays(365));
    }

    /** At most {@code maxWallTime}, with no practical limit on steps. */
    public static TrainingBudget wallTime(Duration maxWallTime) {
        return new TrainingBudget(Integer.MAX_VALUE, maxWallTime);
    }
}
