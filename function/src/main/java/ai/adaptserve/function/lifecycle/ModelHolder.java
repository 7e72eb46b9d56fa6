package ai.adaptserve.function.lifecycle;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Holds the base model once it is loaded; until then, says why it is not there. Requests use the model through a
 * {@link Lease}, so that stopping the application never frees native memory under a running generation.
 * Thread-safe.
 */
@ApplicationScoped
public class ModelHolder {

    private ModelState state = new ModelState.Loading("not started", Instant.now());
    private int leases;

    public synchronized ModelState state() {
        return state;
    }

    /** The model, if it is ready; for metadata. Use {@link #lease()} to run it. */
    public synchronized Optional<ServedModel> ready() {
        return state instanceof ModelState.Ready r ? Optional.of(r.model()) : Optional.empty();
    }

    /** The model for one use, if it is ready; close the lease when done. */
    public synchronized Optional<Lease> lease() {
        if (state instanceof ModelState.Ready r) {
            leases++;
            return Optional.of(new Lease(r.model()));
        }
        return Optional.empty();
    }

    /** The model for one use, or 503 ({@code model_loading} or {@code model_unavailable}) saying why not. */
    public Lease leaseOrThrow() {
        ModelState current;
        synchronized (this) {
            if (state instanceof ModelState.Ready r) {
                leases++;
                return new Lease(r.model());
            }
            current = state;
        }
        throw unavailable(current);
    }

    /** The model's metadata, or 503 saying why it is not there. */
    public ServedModel readyOrThrow() {
        ModelState current = state();
        if (current instanceof ModelState.Ready r) {
            return r.model();
        }
        throw unavailable(current);
    }

    private static ApiException unavailable(ModelState state) {
        return switch (state) {
            case ModelState.Loading l ->
                new ApiException(
                        503,
                        ErrorCodes.MODEL_LOADING,
                        "the model is loading; retry shortly",
                        Map.of("Retry-After", "5"));
            case ModelState.Failed f ->
                new ApiException(
                        503,
                        ErrorCodes.MODEL_UNAVAILABLE,
                        f.reason().equals(SHUTDOWN) ? "the instance is shutting down" : "the model failed to load");
            case ModelState.Ready r -> throw new IllegalStateException("ready");
        };
    }

    synchronized void loading(String source) {
        state = new ModelState.Loading(source, Instant.now());
    }

    /** Publishes the loaded model; returns false (and publishes nothing) if the holder is already shut down. */
    synchronized boolean loaded(ServedModel model, Duration loadTime) {
        if (state instanceof ModelState.Failed f && f.reason().equals(SHUTDOWN)) {
            return false;
        }
        state = new ModelState.Ready(model, loadTime);
        return true;
    }

    synchronized void failed(String source, String reason) {
        state = new ModelState.Failed(source, reason);
    }

    static final String SHUTDOWN = "the application is shutting down";

    /**
     * Stops handing out the model, waits up to {@code timeout} for the running uses to end, and returns the model
     * that was being served (for the caller to close), if any.
     */
    synchronized Optional<ServedModel> shutdown(Duration timeout) throws InterruptedException {
        Optional<ServedModel> model = state instanceof ModelState.Ready r ? Optional.of(r.model()) : Optional.empty();
        state = new ModelState.Failed("the model", SHUTDOWN);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (leases > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return model;
    }

    /** Number of uses of the model under way. */
    public synchronized int leases() {
        return leases;
    }

    private synchronized void release() {
        leases--;
        notifyAll();
    }

    /** One use of the model; close it when the use ends. */
    public final class Lease implements AutoCloseable {
        private final ServedModel model;
        private boolean closed;

        private Lease(ServedModel model) {
            this.model = model;
        }

        public ServedModel model() {
            return model;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release();
            }
        }
    }
}
