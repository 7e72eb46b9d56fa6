package ai.adaptserve.function.lifecycle;

import ai.adaptserve.function.routing.TaskRouting;
import ai.adaptserve.model.BuiltinModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.ModelOptions;
import ai.adaptserve.model.placement.Placement;
import ai.adaptserve.model.placement.PlacementRule;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * The base model's load as a {@link ModelPlan} says: the built-in model's files written (or checked), libtorch joined,
 * the placement chosen, the weights read, and the experts and router read. It needs no CDI bean and logs nothing, so
 * that it can run before Quarkus has started ({@link EarlyLoad}); {@link ModelLifecycle} reports what it found.
 */
final class ModelLoad {

    private ModelLoad() {}

    /**
     * A loaded model, not yet served.
     *
     * @param natives what the native libraries' load took
     * @param placement the device and dtype chosen, and why
     * @param routing the experts and router, for {@link TaskRouting#install}
     * @param millis the load's own time, from its start
     */
    record Result(
            LoadedModel model,
            NativePreload.Loaded natives,
            Placement.Chosen placement,
            TaskRouting.Read routing,
            long millis)
            implements AutoCloseable {
        @Override
        public void close() {
            model.close();
        }
    }

    /** Loads the model; throws what failed (libtorch's failure wrapped in a {@code CompletionException}). */
    static Result run(ModelPlan plan, CompletableFuture<NativePreload.Loaded> natives) {
        long start = System.nanoTime();
        Path dir = plan.path().orElseGet(() -> BuiltinModel.materialize(plan.cacheDir()));
        NativePreload.Loaded libs = natives.join();
        Placement.Chosen placement = switch (PlacementRule.choose(plan.device(), plan.dtype(), libs.gpus())) {
            case Placement.Chosen c -> c;
            case Placement.Refused r ->
                throw new IllegalStateException("adaptserve.model." + r.key() + ": " + r.reason());
        };
        LoadedModel model = LoadedModel.load(
                dir,
                ModelOptions.defaults().withComputeType(placement.djlType()).withDevice(placement.device()));
        try {
            // before readiness, so that the first request is routed
            TaskRouting.Read routing = TaskRouting.read(dir, model, plan.experts(), plan.router());
            return new Result(model, libs, placement, routing, (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }
}
