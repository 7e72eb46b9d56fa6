package ai.adaptserve.function.lifecycle;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A load started before the application has its configuration, on a guessed {@link ModelPlan}, and handed over at
 * most once to whoever has the real plan: the same load if the plans are equal (so the model is never loaded twice),
 * nothing if they differ (the guessed load is then closed when it ends, and the caller loads what it was asked for).
 * Thread-safe.
 *
 * @param <T> what the load makes
 */
final class EarlyLoad<T extends AutoCloseable> {

    /** The JVM's base-model load, started by {@link Main}. */
    static final EarlyLoad<ModelLoad.Result> MODEL = new EarlyLoad<>();

    private ModelPlan plan;
    private CompletableFuture<T> result;
    private boolean handedOver;

    /**
     * Starts {@code load} of {@code plan} on a daemon thread named {@code threadName}, unless a load has started
     * already; its failure is kept for {@link #take}.
     */
    synchronized void start(ModelPlan plan, Function<ModelPlan, T> load, String threadName) {
        if (result != null) {
            return;
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        this.plan = plan;
        this.result = future;
        LoaderThread.start(threadName, () -> {
            try {
                future.complete(load.apply(plan));
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        });
    }

    /**
     * The early load, if one was started for exactly {@code actual} and not handed over yet. A load of another plan is
     * closed when it ends (its failure ignored) and not handed over: the caller then loads {@code actual} itself.
     */
    synchronized Early<T> take(ModelPlan actual) {
        if (result == null || handedOver) {
            return new Early.None<>();
        }
        handedOver = true;
        if (plan.equals(actual)) {
            return new Early.Same<>(result);
        }
        result.thenAccept(EarlyLoad::closeQuietly);
        return new Early.Other<>(plan);
    }

    /** What {@link #take} found. */
    sealed interface Early<T> {
        /** The load of the plan asked for, under way or done. */
        record Same<T>(CompletableFuture<T> result) implements Early<T> {}

        /** A load of another plan, discarded. */
        record Other<T>(ModelPlan guessed) implements Early<T> {}

        /** No early load (none started, or handed over already). */
        record None<T>() implements Early<T> {}
    }

    private static void closeQuietly(AutoCloseable loaded) {
        try {
            loaded.close();
        } catch (Exception e) {
            // a model nobody uses; the process keeps running without it either way
        }
    }
}
