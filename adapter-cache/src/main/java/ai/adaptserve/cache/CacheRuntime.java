package ai.adaptserve.cache;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.lang.System.Logger.Level;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The store's threads and its Vert.x instance: made, lent and stopped here only.
 *
 * <ul>
 *   <li>one scheduler thread, which only hands tasks to background virtual threads (it never blocks);
 *   <li>virtual threads for background work (probes, promotions, write-behind flushes, lock renewals);
 *   <li>virtual threads for flights (one per key being looked up or trained);
 *   <li>the training executor: the caller's, or a cached pool of daemon threads owned here;
 *   <li>Vert.x for the Redis clients, with Redis only: the caller's, or a small one owned here.
 * </ul>
 *
 * Owned resources are stopped by {@link #stopThreads()} and {@link #stopVertx()}; lent ones are left to their owner.
 */
final class CacheRuntime {

    private static final System.Logger LOG = System.getLogger(CacheRuntime.class.getName());

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("adapter-cache-scheduler").factory());
    private final ExecutorService background = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("adapter-cache-background-", 0).factory());
    private final ExecutorService flights = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("adapter-flight-", 0).factory());
    private final ExecutorService training;
    private final boolean ownsTraining;
    private final Vertx vertx;
    private final boolean ownsVertx;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param vertx the caller's Vert.x, or null for one owned here (made only if {@code needsVertx})
     * @param trainingExecutor the caller's training executor, or null for one owned here
     */
    CacheRuntime(Vertx vertx, ExecutorService trainingExecutor, boolean needsVertx) {
        this.ownsTraining = trainingExecutor == null;
        this.training = trainingExecutor != null
                ? trainingExecutor
                : Executors.newCachedThreadPool(
                        Thread.ofPlatform().daemon().name("adapter-train-", 0).factory());
        this.ownsVertx = needsVertx && vertx == null;
        this.vertx = !needsVertx ? null : vertx != null ? vertx : smallVertx();
    }

    private static Vertx smallVertx() {
        return Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(2)
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1)
                .setFileSystemOptions(
                        new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
    }

    /** The Vert.x instance of the Redis clients; null without Redis. */
    Vertx vertx() {
        return vertx;
    }

    boolean closed() {
        return closed.get();
    }

    /** Marks the runtime closed; true only for the first call. */
    boolean markClosed() {
        return closed.compareAndSet(false, true);
    }

    /** Runs {@code task} after {@code delayMillis} on a background virtual thread; nothing once closed. */
    void runLater(Runnable task, long delayMillis) {
        if (closed.get()) {
            return;
        }
        try {
            scheduler.schedule(() -> runInBackground(task), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Runs {@code task} on a background virtual thread every {@code periodMillis}, first after one period. */
    ScheduledFuture<?> every(long periodMillis, Runnable task) {
        return scheduler.scheduleAtFixedRate(
                () -> runInBackground(task), periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    void runInBackground(Runnable task) {
        try {
            background.execute(task);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Starts a flight on its own virtual thread. */
    void startFlight(Runnable flight) throws RejectedExecutionException {
        flights.execute(flight);
    }

    /** Submits a training to the training executor. */
    <T> Future<T> train(Callable<T> training) throws RejectedExecutionException {
        return this.training.submit(training);
    }

    /** Stops the scheduler, the background and flight threads, and the training executor if owned here. */
    void stopThreads() {
        scheduler.shutdownNow();
        background.shutdownNow();
        flights.shutdownNow();
        if (ownsTraining) {
            training.shutdownNow();
        }
    }

    /** Closes Vert.x if owned here (after the clients that use it). */
    void stopVertx() {
        if (!ownsVertx) {
            return;
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.DEBUG, "adapter cache: closing Vert.x: {0}", e);
        }
    }
}
