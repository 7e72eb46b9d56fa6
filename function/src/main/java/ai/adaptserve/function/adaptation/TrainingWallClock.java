package ai.adaptserve.function.adaptation;

import ai.adaptserve.model.train.TrainingClock;
import jakarta.inject.Singleton;

/**
 * The clock test-time training measures {@code adaptserve.ttt.max-wall-time} with: the system's monotonic clock. A test
 * profile replaces this bean with a clock it controls, so that no test depends on how fast this machine trains.
 */
@Singleton
public class TrainingWallClock implements TrainingClock {

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }
}
