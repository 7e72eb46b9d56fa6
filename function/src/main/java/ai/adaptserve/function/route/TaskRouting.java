package ai.adaptserve.function.route;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.config.AdaptServeConfig;
import ai.adaptserve.model.BuiltinModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.MalformedAdapterException;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.experts.ExpertSet;
import ai.adaptserve.model.route.MalformedRouterException;
import ai.adaptserve.model.route.TaskRouter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The served model's SVF experts and task router (Transformer²'s first pass): a prompt is classified into a task
 * family with a confidence; at or above the router's threshold the family's expert z-vector answers, below it the
 * base model does. A request's {@code task} skips the classifier. Both are read when the model loads, from
 * {@code adaptserve.model.experts} / {@code adaptserve.model.router} or, by default, from {@code experts/} and
 * {@code router.safetensors} beside the checkpoint; every file is verified against the model, and a model without
 * them is served without routing.
 */
@ApplicationScoped
public class TaskRouting {
    private static final Logger LOG = Logger.getLogger(TaskRouting.class);

    /** What was decided for one prompt. */
    public record Decision(Optional<String> label, double confidence, String source, Optional<ZVector> expert) {
        public static final Decision NONE = new Decision(Optional.empty(), 0, "none", Optional.empty());
    }

    private record Loaded(String fingerprint, ExpertSet experts, Optional<TaskRouter> router) {}

    private final AdaptServeConfig.Model config;
    private final MeterRegistry registry;
    private volatile Optional<Loaded> loaded = Optional.empty();

    TaskRouting(AdaptServeConfig config, MeterRegistry registry) {
        this.config = config.model();
        this.registry = registry;
    }

    /** Reads the experts and router of {@code model} (in {@code modelDir}); logs and serves without them on failure. */
    public void load(Path modelDir, LoadedModel model) {
        Path expertsDir = config.experts().orElse(modelDir.resolve(BuiltinModel.EXPERTS_DIR));
        Path routerFile = config.router().orElse(modelDir.resolve(BuiltinModel.ROUTER_FILE));
        try {
            ExpertSet experts =
                    Files.isDirectory(expertsDir) ? ExpertSet.load(expertsDir, model) : new ExpertSet(Map.of());
            Optional<TaskRouter> router = Optional.empty();
            if (Files.isRegularFile(routerFile)) {
                TaskRouter r = TaskRouter.load(routerFile, model);
                router = Optional.of(
                        config.routerThreshold().map(r::withThreshold).orElse(r));
            }
            loaded = Optional.of(new Loaded(model.fingerprint(), experts, router));
            LOG.infof(
                    "Task routing: %d experts %s, router %s",
                    experts.size(),
                    experts.families(),
                    router.map(r -> "threshold " + r.threshold()).orElse("absent"));
        } catch (IOException | MalformedAdapterException | MalformedRouterException | RuntimeException e) {
            loaded = Optional.empty();
            LOG.errorf(e, "Experts or router of %s unusable; serving without task routing", modelDir);
        }
    }

    /** The families that have an expert. */
    public List<String> families() {
        return loaded.map(l -> l.experts().families()).orElse(List.of());
    }

    /**
     * The decision for {@code prompt} (as the model will see it): the request's {@code task} if given (400 naming
     * {@code task} when no expert has that family), else the router's, else none.
     */
    public Decision decide(LoadedModel model, String prompt, Optional<String> task) {
        Optional<Loaded> l = loaded.filter(x -> x.fingerprint().equals(model.fingerprint()));
        if (task.isPresent()) {
            Optional<ZVector> expert = l.flatMap(x -> x.experts().expert(task.get()));
            if (expert.isEmpty()) {
                throw ApiException.invalid("task " + task.get() + " has no expert on this model; known: " + families());
            }
            count(task.get(), "request");
            return new Decision(task, 1.0, "request", expert);
        }
        if (l.isEmpty() || l.get().router().isEmpty()) {
            return Decision.NONE;
        }
        TaskRouter.Route r =
                l.get().router().get().route(model, List.of(prompt)).get(0);
        if (r.label().isEmpty()) {
            count("none", "classifier");
            return new Decision(Optional.empty(), r.confidence(), "classifier", Optional.empty());
        }
        count(r.label().get(), "classifier");
        return new Decision(
                r.label(),
                r.confidence(),
                "classifier",
                l.get().experts().expert(r.label().get()));
    }

    private void count(String label, String source) {
        Counter.builder("adaptserve.route")
                .description("Requests by task family and by who chose it (classifier or request)")
                .tag("label", label)
                .tag("source", source)
                .register(registry)
                .increment();
    }
}
