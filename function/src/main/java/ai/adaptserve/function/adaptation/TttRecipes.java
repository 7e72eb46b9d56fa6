package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.cache.AdapterKind;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.train.CemMixtureSearch;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.LoraTrainer;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.train.TrainingClock;
import ai.adaptserve.model.ttt.DocumentRecipe;
import ai.adaptserve.model.ttt.TestTimeRecipe;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code adaptserve.ttt.*} as the trainers' configurations, and as the keys of what they train. The one place that
 * says which settings make an adapter what it is (the hyper-parameters and the recipe version: part of its id, so the
 * same request trains once across the fleet and a changed setting never reuses an old adapter) and which do not
 * (wall time, wait timeout, concurrency, warm-up).
 */
@ApplicationScoped
class TttRecipes {

    /** Version of the examples recipe (prompt rendering, loss); part of the key, so a change never reuses old ones. */
    static final String EXAMPLES_RECIPE = "ttt-examples.v2";
    /** Version of the document recipe: v2 learns every chunk ({@code chunks × passes} steps), not a fixed count. */
    static final String DOCUMENT_RECIPE = "ttt-document.v2";
    /** Version of the CEM mixture search (scored on the leave-one-out examples). */
    static final String CEM_RECIPE = "cem-mixture.v1";

    private final AdaptServeConfig.Ttt ttt;
    private final AdaptServeConfig.Cem cem;
    private final TrainingClock clock;

    TttRecipes(AdaptServeConfig config, TrainingClock clock) {
        this.ttt = config.ttt();
        this.cem = config.cem();
        this.clock = clock;
    }

    /** What {@code max-wall-time} is measured by. */
    TrainingClock clock() {
        return clock;
    }

    /** The key of the LoRA trained on {@code examples}. */
    AdapterKey examplesKey(String baseFingerprint, List<Demonstration> examples, Optional<String> tenant) {
        AdapterKey.Builder b = loraParams(AdapterKey.builder(baseFingerprint, AdapterKind.LORA))
                .param("recipe", EXAMPLES_RECIPE)
                .param("batch", ttt.batchSize())
                .param("relabels", ttt.relabels())
                .param("orders", ttt.orders());
        for (Demonstration e : examples) {
            b.example(e.input(), e.output());
        }
        tenant.ifPresent(b::tenant);
        return b.build();
    }

    /**
     * The key of the LoRA trained on {@code document}: its steps follow from the document, the chunk length and the
     * passes, so {@code adaptserve.ttt.steps} is not part of it.
     */
    AdapterKey documentKey(String baseFingerprint, String document, Optional<String> tenant) {
        AdapterKey.Builder b = AdapterKey.builder(baseFingerprint, AdapterKind.LORA)
                .param("rank", ttt.rank())
                .param("alpha", exact(ttt.alpha()))
                .param("lr", exact(ttt.learningRate()))
                .param("seed", ttt.seed())
                .param("targets", targetNames())
                .param("head", ttt.head())
                .param("recipe", DOCUMENT_RECIPE)
                .param("chunk", ttt.document().chunkTokens())
                .param("passes", ttt.document().passes())
                .document(document);
        tenant.ifPresent(b::tenant);
        return b.build();
    }

    /**
     * The key of the expert mixture CEM finds on {@code examples}: the search's settings and the experts themselves
     * ({@code expertsDigest}, so new experts never reuse an old mixture).
     */
    AdapterKey cemKey(
            String baseFingerprint, String expertsDigest, List<Demonstration> examples, Optional<String> tenant) {
        AdapterKey.Builder b = AdapterKey.builder(baseFingerprint, AdapterKind.SVF)
                .param("recipe", CEM_RECIPE)
                .param("experts", expertsDigest)
                .param("population", cem.population())
                .param("iterations", cem.iterations())
                .param("elite", cem.eliteRatio())
                .param("std", cem.initialStd())
                .param("seed", cem.seed());
        for (Demonstration e : examples) {
            b.example(e.input(), e.output());
        }
        tenant.ifPresent(b::tenant);
        return b.build();
    }

    /** The CEM search's settings (one mixture weight per expert). */
    CemMixtureSearch.Config cem() {
        return new CemMixtureSearch.Config(
                cem.population(), cem.eliteRatio(), cem.iterations(), cem.initialStd(), false, cem.seed());
    }

    /** {@code iterations} CEM iterations within {@code adaptserve.ttt.max-wall-time}. */
    TrainingBudget cemBudget() {
        return new TrainingBudget(cem.iterations(), ttt.maxWallTime(), clock);
    }

    private AdapterKey.Builder loraParams(AdapterKey.Builder b) {
        return b.param("rank", ttt.rank())
                .param("alpha", exact(ttt.alpha()))
                .param("lr", exact(ttt.learningRate()))
                .param("steps", ttt.steps())
                .param("seed", ttt.seed())
                .param("targets", targetNames())
                .param("head", ttt.head());
    }

    private String targetNames() {
        return String.join(",", targets().stream().map(TargetMatrix::shortName).toList());
    }

    /** The float as written in the configuration ({@code 0.01}, not {@code 0.009999999776482582}). */
    private static double exact(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /** The LoRA trainer's settings, with {@code batchSize} sequences per step. */
    LoraTrainer.Config lora(int batchSize) {
        return new LoraTrainer.Config(
                ttt.rank(), ttt.alpha(), targets(), ttt.head(), ttt.learningRate(), 0f, 1, batchSize, ttt.seed());
    }

    /** The ARC study's recipe on a request's demonstrations: leave-one-out tasks, augmentations, LoRA. */
    TestTimeRecipe.Config examples() {
        return new TestTimeRecipe.Config(lora(ttt.batchSize()), ttt.steps(), ttt.relabels(), ttt.orders(), ttt.seed());
    }

    /**
     * Document training as configured: the trainer, {@code adaptserve.ttt.document.max-steps} and
     * {@code .max-wall-time}. The lab's {@code bin/eval-documents} measures {@link DocumentRecipe#serviceDefaults()},
     * which equals this under the default configuration ({@code TttRecipesTest}).
     */
    DocumentRecipe documentRecipe() {
        return new DocumentRecipe(
                document(), ttt.document().maxSteps(), ttt.document().maxWallTime());
    }

    /** Next-token prediction on a document, chunk by chunk, into a LoRA (the head included when configured). */
    DocumentTrainer.Config document() {
        Set<TargetMatrix> targets = EnumSet.copyOf(targets());
        if (ttt.head()) {
            targets.add(TargetMatrix.HEAD);
        }
        return new DocumentTrainer.Config(
                DocumentTrainer.Kind.LORA,
                ttt.document().chunkTokens(),
                ttt.learningRate(),
                ttt.document().passes(),
                ttt.rank(),
                ttt.alpha(),
                targets,
                ttt.seed());
    }

    /** {@code steps} optimizer steps within {@code max-wall-time}. */
    TrainingBudget budget(int steps) {
        return new TrainingBudget(steps, ttt.maxWallTime(), clock);
    }

    private Set<TargetMatrix> targets() {
        Set<TargetMatrix> out = EnumSet.noneOf(TargetMatrix.class);
        for (String t : ttt.targets()) {
            out.add(TargetMatrix.fromShortName(t));
        }
        return out;
    }
}
