package ai.adaptserve.function.lifecycle;

import ai.adaptserve.function.routing.TaskRouting;
import ai.adaptserve.function.settings.AdaptServeConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/**
 * Serves the base model once it is loaded, on a background thread, so the HTTP server answers at once (readiness
 * DOWN, generation 503) while the weights load; closes it when the application stops. The load itself
 * ({@link ModelLoad}) usually started as the JVM started ({@link Main}, {@link EarlyLoad}).
 */
@ApplicationScoped
public class ModelLifecycle {

    private static final Logger LOG = Logger.getLogger(ModelLifecycle.class);

    private final AdaptServeConfig config;
    private final ModelHolder holder;
    private final Event<ModelReady> ready;
    private final TaskRouting routing;
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

    ModelLifecycle(AdaptServeConfig config, ModelHolder holder, Event<ModelReady> ready, TaskRouting routing) {
        this.config = config;
        this.routing = routing;
        this.holder = holder;
        this.ready = ready;
    }

    void onStart(@Observes StartupEvent event) {
        ModelPlan plan = ModelPlan.of(config.model());
        holder.loading(plan.source());
        // Main started the load as the JVM started, on the plan it read from the system properties and the
        // environment; it is this load if the configuration asks for the same model. Otherwise (and in tests, which
        // have no Main) the model loads from here, libtorch on its own thread while the model's files are written.
        EarlyLoad.Early<ModelLoad.Result> early = EarlyLoad.MODEL.take(plan);
        if (early instanceof EarlyLoad.Early.Other<ModelLoad.Result> other) {
            LOG.warnf(
                    "The model's load started as the JVM started was for %s, but the configuration asks for %s: "
                            + "loading again (set adaptserve.model.* as system properties or environment variables "
                            + "to load it once)",
                    other.guessed(), plan);
        }
        LoaderThread.start("adaptserve-model-loader", () -> load(plan, early));
    }

    private void load(ModelPlan plan, EarlyLoad.Early<ModelLoad.Result> early) {
        long start = System.nanoTime();
        String source = plan.source();
        ModelLoad.Result loaded;
        try {
            if (early instanceof EarlyLoad.Early.Same<ModelLoad.Result> same) {
                LOG.infof("Loading %s (started as the JVM started)", source);
                loaded = same.result().join();
            } else {
                LOG.infof("Loading %s", source);
                loaded = ModelLoad.run(plan, NativePreload.start());
            }
        } catch (CompletionException e) {
            fail(source, e.getCause() == null ? e : e.getCause()); // the load, or libtorch's, failed
            return;
        } catch (Throwable e) {
            fail(source, e);
            return;
        }
        try {
            NativePreload.Loaded libs = loaded.natives();
            LOG.infof(
                    "Native libraries: libtorch loaded in %d ms, tokenizers in %d ms%s",
                    libs.libtorchMillis(),
                    libs.tokenizersMillis(),
                    libs.tokenizersFailure().isEmpty() ? "" : " (failed: " + libs.tokenizersFailure() + ")");
            LOG.infof("Model placement: %s", loaded.placement().why());
            routing.install(loaded.routing()); // before readiness, so that the first request is routed
            ServedModel served = ServedModel.of(loaded.model());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (!holder.loaded(served, took)) {
                loaded.close();
                return;
            }
            LOG.infof(
                    "Model %s ready in %d ms (its load took %d ms; fingerprint %s, context %d tokens)",
                    served.name(), took.toMillis(), loaded.millis(), served.fingerprint(), served.contextLength());
        } catch (Throwable e) {
            loaded.close();
            fail(source, e);
            return;
        }
        try {
            holder.ready().ifPresent(served -> ready.fire(new ModelReady(served)));
        } catch (RuntimeException e) {
            LOG.warn("Work after loading the model failed; the model serves regardless", e);
        }
    }

    private void fail(String source, Throwable e) {
        String reason = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        LOG.errorf(e, "Failed to load %s", source);
        holder.failed(source, reason);
        if (e instanceof VirtualMachineError vme) {
            throw vme;
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        try {
            holder.shutdown(SHUTDOWN_GRACE).ifPresent(model -> {
                if (holder.leases() > 0) {
                    // Freeing native memory under a running generation could crash the JVM; the process is ending.
                    LOG.warnf("Not closing the model: %d generations still running", holder.leases());
                    return;
                }
                try {
                    model.resources().close();
                } catch (Exception e) {
                    LOG.warn("Closing the model failed", e);
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
