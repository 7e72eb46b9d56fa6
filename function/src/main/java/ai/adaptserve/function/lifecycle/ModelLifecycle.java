package ai.adaptserve.function.lifecycle;

import ai.adaptserve.function.routing.TaskRouting;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.BuiltinModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.ModelOptions;
import ai.adaptserve.model.placement.Placement;
import ai.adaptserve.model.placement.PlacementRule;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/**
 * Loads the base model on a background thread when the application starts, so the HTTP server answers at once
 * (readiness DOWN, generation 503) while the weights load; closes it when the application stops.
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
        String source = config.model()
                .path()
                .map(Path::toString)
                .orElse("the built-in model (" + config.model().cacheDir() + ")");
        holder.loading(source);
        // libtorch (about a second to load) comes up on its own thread while the model's files are written and read;
        // started by Main as the JVM starts, or here where there is no Main (tests).
        CompletableFuture<NativePreload.Loaded> natives = NativePreload.start();
        Thread thread = new Thread(() -> load(source, natives), "adaptserve-model-loader");
        thread.setDaemon(true);
        // DJL finds its engines with ServiceLoader on the context class loader: make it the application's.
        thread.setContextClassLoader(ModelLifecycle.class.getClassLoader());
        thread.start();
    }

    private void load(String source, CompletableFuture<NativePreload.Loaded> natives) {
        long start = System.nanoTime();
        LOG.infof("Loading %s", source);
        try {
            Path dir = config.model()
                    .path()
                    .orElseGet(() -> BuiltinModel.materialize(config.model().cacheDir()));
            NativePreload.Loaded libs = natives.join();
            LOG.infof(
                    "Native libraries: libtorch loaded in %d ms, tokenizers in %d ms%s",
                    libs.libtorchMillis(),
                    libs.tokenizersMillis(),
                    libs.tokenizersFailure().isEmpty() ? "" : " (failed: " + libs.tokenizersFailure() + ")");
            LoadedModel model = LoadedModel.load(dir, options(placement(libs.gpus())));
            routing.load(dir, model); // before readiness, so that the first request is routed
            ServedModel served = ServedModel.of(model);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (!holder.loaded(served, took)) {
                model.close();
                return;
            }
            LOG.infof(
                    "Model %s ready in %d ms (fingerprint %s, context %d tokens)",
                    served.name(), took.toMillis(), served.fingerprint(), served.contextLength());
        } catch (CompletionException e) {
            fail(source, e.getCause() == null ? e : e.getCause()); // libtorch failed to load
            return;
        } catch (Throwable e) {
            fail(source, e);
            return;
        }
        try {
            holder.ready().ifPresent(served -> ready.fire(new ModelReady(served)));
        } catch (RuntimeException e) {
            LOG.warn("Work after loading the model failed; the model serves regardless", e);
        }
    }

    /** The device and dtype for this host, given the GPUs libtorch sees. */
    private Placement.Chosen placement(int gpus) {
        return switch (PlacementRule.choose(
                config.model().device(), config.model().dtype(), gpus)) {
            case Placement.Chosen c -> {
                LOG.infof("Model placement: %s", c.why());
                yield c;
            }
            case Placement.Refused r ->
                throw new IllegalStateException("adaptserve.model." + r.key() + ": " + r.reason());
        };
    }

    private static ModelOptions options(Placement.Chosen placement) {
        return ModelOptions.defaults().withComputeType(placement.djlType()).withDevice(placement.device());
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
