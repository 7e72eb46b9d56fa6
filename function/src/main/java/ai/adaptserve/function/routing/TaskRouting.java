package ai.adaptserve.function.routing;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.BuiltinModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.Sha256;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.adapter.MalformedAdapterException;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.experts.ExpertSet;
import ai.adaptserve.model.generate.Prefill;
import ai.adaptserve.model.generate.PromptTokens;
import ai.adaptserve.model.route.MalformedRouterException;
import ai.adaptserve.model.route.TaskRouter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The served model's SVF experts and task router (Transformer²'s first pass): a prompt is classified into a task
 * family with a confidence; at or above the router's threshold the family's expert z-vector answers, below it the
 * base model does, decoding on from the router's own pass over the prompt. A request's {@code task} skips the
 * classifier, and so does a request whose examples, document or adapter id fix the adapter. Both are read when the
 * model loads, from
 * {@code adaptserve.model.experts} / {@code adaptserve.model.router} or, by default, from {@code experts/} and
 * {@code router.safetensors} beside the checkpoint; every file is verified against the model, and a model without
 * them is served without routing.
 */
@ApplicationScoped
public class TaskRouting {
    private static final Logger LOG = Logger.getLogger(TaskRouting.class);

    /**
     * What was decided for one prompt.
     *
     * @param label the task family, if any
     * @param confidence the classifier's probability of its best family, or 1 where the request decided
     * @param source {@code classifier}, {@code request}, or {@code none} (nothing to route with)
     * @param expert the family's expert, when it is to answer
     * @param prefill when the classifier ran: its pass over the prompt under the base model, which the caller owns
     *     (closes, or answers the same prompt with the base model from: {@code LoadedModel.generate(Prefill, …)})
     */
    public record Decision(
            Optional<String> label,
            double confidence,
            String source,
            Optional<ZVector> expert,
            Optional<Prefill> prefill) {
        public static final Decision NONE =
                new Decision(Optional.empty(), 0, "none", Optional.empty(), Optional.empty());
    }

    private record Loaded(String fingerprint, ExpertSet experts, String expertsDigest, Optional<TaskRouter> router) {}

    /**
     * The served model's experts, for strategies that mix them.
     *
     * @param set one z-vector per family
     * @param digest sha256 over every family's name and z-vector: what a mixture of them is keyed by
     */
    public record Experts(ExpertSet set, String digest) {}

    private final AdaptServeConfig.Model config;
    private final MeterRegistry registry;
    private volatile Optional<Loaded> loaded = Optional.empty();

    TaskRouting(AdaptServeConfig config, MeterRegistry registry) {
        this.config = config.model();
        this.registry = registry;
    }

    /**
     * The experts and router read for one model, not yet in use: {@link #read} needs no CDI bean, so that it can run
     * with the model's load before the application has started, and {@link #install} makes it the routing in use.
     */
    public sealed interface Read {
        /** Read and verified against the model. */
        record Found(
                Path modelDir, String fingerprint, ExpertSet experts, String expertsDigest, Optional<TaskRouter> router)
                implements Read {}

        /** Present but unusable (the model is then served without task routing). */
        record Unusable(Path modelDir, Exception cause) implements Read {}
    }

    /**
     * Reads the experts and router of {@code model} (in {@code modelDir}): from {@code experts} / {@code router} when
     * given, else from beside the checkpoint; absent files mean no experts, or no router.
     */
    public static Read read(Path modelDir, LoadedModel model, Optional<Path> experts, Optional<Path> router) {
        Path expertsDir = experts.orElse(modelDir.resolve(BuiltinModel.EXPERTS_DIR));
        Path routerFile = router.orElse(modelDir.resolve(BuiltinModel.ROUTER_FILE));
        try {
            ExpertSet set = Files.isDirectory(expertsDir) ? ExpertSet.load(expertsDir, model) : new ExpertSet(Map.of());
            Optional<TaskRouter> r = Files.isRegularFile(routerFile)
                    ? Optional.of(TaskRouter.load(routerFile, model))
                    : Optional.empty();
            return new Read.Found(modelDir, model.fingerprint(), set, digest(set, model.fingerprint()), r);
        } catch (IOException | MalformedAdapterException | MalformedRouterException | RuntimeException e) {
            return new Read.Unusable(modelDir, e);
        }
    }

    /**
     * Puts what {@link #read} found in use (with {@code adaptserve.model.router-threshold}, if set); logs, and serves
     * without task routing, when it was unusable.
     */
    public void install(Read read) {
        switch (read instanceof Read.Found f ? withThreshold(f) : read) {
            case Read.Found f -> {
                loaded = Optional.of(new Loaded(f.fingerprint(), f.experts(), f.expertsDigest(), f.router()));
                LOG.infof(
                        "Task routing: %d experts %s, router %s",
                        f.experts().size(),
                        f.experts().families(),
                        f.router().map(r -> "threshold " + r.threshold()).orElse("absent"));
            }
            case Read.Unusable u -> {
                loaded = Optional.empty();
                LOG.errorf(u.cause(), "Experts or router of %s unusable; serving without task routing", u.modelDir());
            }
        }
    }

    /** {@code read} with {@code adaptserve.model.router-threshold}, if set; unusable if the router refuses it. */
    private Read withThreshold(Read.Found read) {
        try {
            Optional<TaskRouter> router = read.router()
                    .map(r -> config.routerThreshold().map(r::withThreshold).orElse(r));
            return new Read.Found(read.modelDir(), read.fingerprint(), read.experts(), read.expertsDigest(), router);
        } catch (RuntimeException e) {
            return new Read.Unusable(read.modelDir(), e);
        }
    }

    /** The experts of {@code model}, when it has any. */
    public Optional<Experts> experts(LoadedModel model) {
        return loaded.filter(x -> x.fingerprint().equals(model.fingerprint())
                        && x.experts().size() > 0)
                .map(x -> new Experts(x.experts(), x.expertsDigest()));
    }

    /** The experts' content, in family order, as stored without a date (so equal experts digest equally). */
    private static String digest(ExpertSet experts, String fingerprint) {
        MessageDigest md = Sha256.digest();
        for (String family : experts.families()) {
            Sha256.updateString(md, family);
            md.update(AdapterFile.toBytes(
                    experts.expert(family).orElseThrow(), new AdapterFile.Metadata(fingerprint, Instant.EPOCH, "")));
        }
        return "sha256:" + Sha256.hex(md);
    }

    /** The families that have an expert. */
    public List<String> families() {
        return loaded.map(l -> l.experts().families()).orElse(List.of());
    }

    /**
     * The decision for a request whose adapter the request itself fixes (by its examples, document, adapter id or
     * {@code none}): the router does not run, and no expert is chosen; the request's {@code task}, if any, is reported
     * as sent.
     */
    public Decision requested(Optional<String> task) {
        count(task.orElse("none"), "request");
        return new Decision(task, 1.0, "request", Optional.empty(), Optional.empty());
    }

    /**
     * The decision for {@code prompt} (as the model will see it): the request's {@code task} if given (400 naming
     * {@code task} when no expert has that family), else the router's, else none. The router reads the features of a
     * {@link LoadedModel#prefill} of the prompt and hands the prefill on in the decision.
     */
    public Decision decide(LoadedModel model, PromptTokens prompt, Optional<String> task) {
        Optional<Loaded> l = loaded.filter(x -> x.fingerprint().equals(model.fingerprint()));
        if (task.isPresent()) {
            Optional<ZVector> expert = l.flatMap(x -> x.experts().expert(task.get()));
            if (expert.isEmpty()) {
                throw ApiException.invalid("task " + task.get() + " has no expert on this model; known: " + families());
            }
            count(task.get(), "request");
            return new Decision(task, 1.0, "request", expert, Optional.empty());
        }
        if (l.isEmpty() || l.get().router().isEmpty()) {
            return Decision.NONE;
        }
        Prefill prefill = model.prefill(prompt);
        try {
            TaskRouter.Route r = l.get().router().get().route(model, prefill);
            count(r.label().orElse("none"), "classifier");
            return new Decision(
                    r.label(),
                    r.confidence(),
                    "classifier",
                    r.label().flatMap(l.get().experts()::expert),
                    Optional.of(prefill));
        } catch (RuntimeException e) {
            prefill.close();
            throw e;
        }
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
