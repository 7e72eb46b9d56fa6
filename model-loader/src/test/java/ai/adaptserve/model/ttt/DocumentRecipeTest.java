package ai.adaptserve.model.ttt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.StopReason;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Document training covers the document: chunks × passes steps, counted here from the tokens; or refused. */
class DocumentRecipeTest {

    @TempDir
    static Path tmp;

    static LoadedModel model;

    @BeforeAll
    static void load() {
        model = LoadedModel.load(
                TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(false, false), 7, TensorDType.F32, 0));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static DocumentRecipe recipe(int chunk, int passes, int maxSteps) {
        DocumentRecipe d = DocumentRecipe.serviceDefaults();
        return new DocumentRecipe(
                d.trainer().withChunkTokens(chunk).withPasses(passes), maxSteps, Duration.ofMinutes(5));
    }

    @Test
    void trainsEveryChunkPassesTimes() {
        String document = "the quick brown fox jumps over the lazy dog. ".repeat(3);
        int tokens = model.tokenizer().encode(document, false).length;
        int learnt = model.config().bosTokenId().isPresent() ? tokens : tokens - 1;
        int chunks = (learnt + 15) / 16; // naive: ceil(learnt / 16)
        DocumentRecipe r = recipe(16, 2, 1000);

        DocumentRecipe.Plan plan = r.plan(model, document);
        TrainingResult<Adapter> trained =
                DocumentTrainer.train(model, document, r.trainer(), r.budget(plan), TrainingListener.NONE);

        assertEquals(chunks, plan.chunks());
        assertEquals(chunks * 2, plan.steps());
        assertTrue(plan.covered());
        assertEquals(chunks * 2, trained.steps());
        assertEquals(StopReason.COMPLETED, trained.stopReason());
    }

    @Test
    void documentPastTheStepLimit_notCovered() {
        String document = "x".repeat(200);
        DocumentRecipe.Plan plan = recipe(16, 2, 5).plan(model, document);

        assertTrue(plan.steps() > 5);
        assertFalse(plan.covered());
    }
}
