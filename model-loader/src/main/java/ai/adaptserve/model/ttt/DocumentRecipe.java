package ai.adaptserve.model.ttt;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.LoraTrainer;
import ai.adaptserve.model.train.TrainingBudget;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;

/**
 * Document test-time training as the service runs it, and as the lab measures it: the trainer's settings, the most
 * steps a document may take, and the wall time that bounds them. A document gets {@code chunks × passes} steps, so
 * every token of it is learnt; one that needs more than {@code maxSteps} is not covered and is refused, never cut.
 *
 * @param trainer chunking, passes, the LoRA and its learning rate
 * @param maxSteps most optimizer steps a document may need; a longer one is refused
 * @param maxWallTime the training stops (and fails) after this long
 */
public record DocumentRecipe(DocumentTrainer.Config trainer, int maxSteps, Duration maxWallTime) {

    /** The service's default chunk length ({@code adaptserve.ttt.document.chunk-tokens}). */
    public static final int CHUNK_TOKENS = 64;
    /** The service's default passes ({@code adaptserve.ttt.document.passes}). */
    public static final int PASSES = 2;
    /** The service's default step limit ({@code adaptserve.ttt.document.max-steps}). */
    public static final int MAX_STEPS = 2048;
    /** The service's default wall time ({@code adaptserve.ttt.document.max-wall-time}). */
    public static final Duration MAX_WALL_TIME = Duration.ofMinutes(5);

    public DocumentRecipe {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(maxWallTime, "maxWallTime");
        if (maxSteps < 1) {
            throw new IllegalArgumentException("maxSteps must be >= 1, was " + maxSteps);
        }
    }

    /**
     * The service's defaults: LoRA rank 4 (alpha 8) on every projection, lr 5e-3, seed 0 (the {@code adaptserve.ttt.*}
     * defaults) and the constants above.
     */
    public static DocumentRecipe serviceDefaults() {
        return new DocumentRecipe(
                new DocumentTrainer.Config(
                        DocumentTrainer.Kind.LORA,
                        CHUNK_TOKENS,
                        5e-3f,
                        PASSES,
                        4,
                        8f,
                        EnumSet.copyOf(LoraTrainer.Config.DEFAULT_TARGETS),
                        0L),
                MAX_STEPS,
                MAX_WALL_TIME);
    }

    /**
     * How a document would be trained.
     *
     * @param chunks chunks of the document
     * @param steps {@code chunks × passes}
     * @param covered whether {@code steps} is within {@code maxSteps}
     */
    public record Plan(int chunks, int steps, boolean covered) {}

    /**
     * The plan for {@code document}.
     *
     * @throws IllegalArgumentException for a document with no token to learn
     */
    public Plan plan(LoadedModel model, String document) {
        int chunks = DocumentTrainer.chunkCount(model, document, trainer.chunkTokens());
        long steps = (long) chunks * trainer.passes();
        return new Plan(chunks, (int) Math.min(Integer.MAX_VALUE, steps), steps <= maxSteps);
    }

    /** Every step of {@code plan}, within {@code maxWallTime}. */
    public TrainingBudget budget(Plan plan) {
        return new TrainingBudget(plan.steps(), maxWallTime);
    }
}
