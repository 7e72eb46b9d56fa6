package ai.adaptserve.model.train;

import ai.adaptserve.model.adapter.Adapter;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The bookkeeping every trainer shares: the budget check before each step, the step itself (its own manager, the
 * gradient collector, backward, the optimizer), the listener, and the result.
 */
final class TrainingLoop {
    /**
     * DJL's PyTorch gradient collector is process-wide: a second one open at the same time throws. Trainers on
     * different threads therefore take turns step by step.
     */
    private static final ReentrantLock AUTOGRAD = new ReentrantLock();

    private final String phase;
    private final TrainingBudget budget;
    private final TrainingListener listener;
    private final long startNanos;
    private int steps;
    private double firstLoss = Double.NaN;
    private double lastLoss = Double.NaN;
    private StopReason stopped;

    TrainingLoop(String phase, TrainingBudget budget, TrainingListener listener, long startNanos) {
        this.phase = phase;
        this.budget = budget;
        this.listener = listener == null ? TrainingListener.NONE : listener;
        this.startNanos = startNanos;
    }

    /** Whether another step fits the budget; when not, remembers which limit ended training. */
    boolean canStep() {
        if (stopped != null) {
            return false;
        }
        if (steps >= budget.maxSteps()) {
            stopped = StopReason.MAX_STEPS;
            return false;
        }
        if (Duration.ofNanos(budget.clock().nanoTime() - startNanos).compareTo(budget.maxWallTime()) >= 0) {
            stopped = StopReason.WALL_TIME;
            return false;
        }
        return true;
    }

    /**
     * One gradient step on {@code adapter}: binds its parameters in a fresh sub-manager of the adapter's manager,
     * computes {@code loss} inside a gradient collector, runs backward, applies the optimizer, closes the step.
     *
     * @return the loss value
     */
    double gradientStep(TrainableBatch<?> adapter, AdamW optimizer, Function<NDManager, NDArray> loss) {
        try (NDManager step = adapter.manager.newSubManager()) {
            double value;
            AUTOGRAD.lock();
            try {
                adapter.bind(step, true);
                try (GradientCollector gc = step.getEngine().newGradientCollector()) {
                    NDArray l = loss.apply(step);
                    value = l.getFloat();
                    if (!Double.isFinite(value)) {
                        throw new IllegalStateException(phase + ": the loss is not finite at step " + (steps + 1));
                    }
                    gc.backward(l);
                }
            } finally {
                AUTOGRAD.unlock();
            }
            optimizer.step(step);
            return value;
        } finally {
            adapter.unbind();
        }
    }

    /** Counts a finished step and tells the listener. */
    void stepDone(double loss) {
        steps++;
        if (steps == 1) {
            firstLoss = loss;
        }
        lastLoss = loss;
        listener.onProgress(new TrainingProgress(phase, steps, loss, elapsedMs()));
    }

    int steps() {
        return steps;
    }

    long elapsedMs() {
        return (budget.clock().nanoTime() - startNanos) / 1_000_000;
    }

    StopReason stopReason() {
        return stopped == null ? StopReason.COMPLETED : stopped;
    }

    <A extends Adapter> TrainingResult<A> result(A adapter) {
        return new TrainingResult<>(adapter, steps, firstLoss, lastLoss, elapsedMs(), stopReason());
    }
}
