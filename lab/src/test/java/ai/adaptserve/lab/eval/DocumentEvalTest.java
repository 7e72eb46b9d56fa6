package ai.adaptserve.lab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.lab.tasks.DocumentTask;
import ai.adaptserve.lab.tasks.SyntheticDocuments;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.TrainingBudget;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The document evaluation on a tiny random Llama (context 256) and one short synthetic document. */
class DocumentEvalTest {
    @TempDir
    static Path tmp;

    static LoadedModel model;

    @BeforeAll
    static void load() {
        Engine.getEngine("PyTorch");
        // one thread, set for the whole test JVM (ai.djl.pytorch.num_threads=1, root pom), not changed here
        assertEquals(1, JniUtils.getNumThreads(), "PyTorch intra-op threads");
        Path dir = TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(false, false), 7, TensorDType.F32, 0);
        model = LoadedModel.load(dir);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The first lines of a synthetic document, its continuation and 3 of its questions: about 600 tokens. */
    static DocumentTask shortDocument() {
        DocumentTask d = SyntheticDocuments.generate(1, 11).get(0);
        return new DocumentTask(
                d.id(),
                firstLines(d.document(), 16),
                firstLines(d.continuation(), 8),
                d.questions().subList(0, 3));
    }

    static String firstLines(String text, int n) {
        String[] lines = text.split("\n");
        return String.join("\n", List.of(lines).subList(0, Math.min(n, lines.length))) + "\n";
    }

    @Test
    void documentPastTheStepLimit_refusedLikeTheService_notCut() {
        DocumentTask doc = shortDocument();
        DocumentEval.Config cfg = DocumentEval.Config.defaults()
                .withTrainer(DocumentTrainer.Config.lora().withChunkTokens(64).withPasses(4))
                .withBudget(TrainingBudget.steps(10))
                .withMaxDocuments(1);

        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> DocumentEval.run(
                        model,
                        List.of(doc),
                        cfg,
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("413"), e.getMessage());
    }

    @Test
    void oneShortDocument_figuresAreConsistent_andTrainingLowersTheDocumentsPerplexity() throws Exception {
        int startArrays = model.nativeArrayCount();
        DocumentTask doc = shortDocument();
        DocumentEval.Config cfg = DocumentEval.Config.defaults()
                .withTrainer(DocumentTrainer.Config.lora().withChunkTokens(64).withPasses(4))
                .withBudget(TrainingBudget.steps(400))
                .withMaxAnswerTokens(8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // Two copies of the document: maxDocuments keeps only the first.
        DocumentReport.Summary s = DocumentEval.run(
                model, List.of(doc, doc), cfg.withMaxDocuments(1), new PrintStream(out, true, StandardCharsets.UTF_8));
        String progress = out.toString(StandardCharsets.UTF_8);
        System.out.print(progress);

        assertEquals(1, s.documents().size());
        DocumentReport.Row r = s.documents().get(0);
        int docTokens = model.tokenizer().encode(doc.document(), false).length;
        assertEquals(docTokens, r.documentTokens());
        assertTrue(docTokens > 256, "the document must not fit the context: " + docTokens);

        // Every perplexity is a finite number above 1 (a random model cannot be certain).
        for (double p :
                new double[] {r.pplBase(), r.pplInContext(), r.pplAdapter(), r.documentPplBase(), r.documentPplAdapter()
                }) {
            assertTrue(Double.isFinite(p) && p > 1, "perplexity " + p + " in " + r);
        }
        // The continuation is cut to half the context (128) at a line end; the document's tail fills the rest.
        assertTrue(r.continuationTokens() <= 128 && r.continuationTokens() > 0, r.toString());
        assertTrue(r.continuationTokens() < r.continuationTokensTotal(), r.toString());
        assertTrue(r.documentTokensInPplContext() > 0, r.toString());
        assertTrue(1 + r.documentTokensInPplContext() + r.continuationTokens() <= 256, r.toString());
        assertTrue(r.documentTokensInQuestionContext() > 0 && r.documentTokensInQuestionContext() < docTokens);

        // Training ran within its budget, its loss fell, and it learnt the text it saw.
        // As the service: every chunk of the document, 4 passes (chunks counted here from the tokens: every token is
        // learnt after BOS, or, without BOS, every token after the first).
        int learnt = model.config().bosTokenId().isPresent() ? docTokens : docTokens - 1;
        int chunks = (learnt + 63) / 64;
        assertEquals(chunks * 4, r.trainSteps());
        assertEquals("completed", r.trainStop());
        assertTrue(r.trainLastLoss() < r.trainFirstLoss(), r.toString());
        assertTrue(
                r.documentPplAdapter() < 0.5 * r.documentPplBase(),
                "document perplexity " + r.documentPplBase() + " -> " + r.documentPplAdapter());

        // Counts add up.
        assertEquals(3, r.questions());
        assertEquals(3, r.answers().size());
        for (int k : new int[] {r.correctInContext(), r.correctAdapter(), r.correctBase()}) {
            assertTrue(k >= 0 && k <= r.questions());
        }
        long matched =
                r.answers().stream().filter(a -> a.adapter().equals(a.answer())).count();
        assertEquals(r.correctAdapter(), matched);
        DocumentReport.Totals t = s.totals();
        assertEquals(1, t.documents());
        assertEquals(3, t.questions());
        assertEquals(r.correctAdapter() / 3.0, t.accuracyAdapter(), 1e-12);
        assertEquals(r.pplAdapter(), t.pplAdapter(), 1e-9 * r.pplAdapter()); // one document: pooled = its own
        assertEquals(r.trainMs(), t.meanTrainMs(), 1e-9);
        assertTrue(progress.contains(doc.id() + ": ") && progress.contains("note: "), progress);

        // The summary is JSON with the same figures.
        JsonNode json = new ObjectMapper().readTree(s.toJson());
        assertEquals(3, json.at("/totals/questions").asInt());
        assertEquals(r.pplBase(), json.at("/documents/0/ppl_base").asDouble(), 0);
        assertEquals("lora", json.at("/settings/adapter_kind").asText());
        assertEquals(256, json.at("/settings/context_tokens").asInt());
        assertEquals(
                r.correctInContext(), json.at("/documents/0/correct_in_context").asInt());

        assertEquals(startArrays, model.nativeArrayCount(), "the weights' arrays are as they were");
    }

    @Test
    void tailAndHead_keepWholeLinesWithinTheBudget() {
        String text = "aaaa\nbbbb\ncccc\n";
        assertEquals("cccc\n", DocumentEval.tail(model, text, 7));
        assertEquals("bbbb\ncccc\n", DocumentEval.tail(model, text, 10));
        assertEquals(text, DocumentEval.tail(model, text, 15));
        assertEquals("", DocumentEval.tail(model, text, 4));
        assertEquals("aaaa\n", DocumentEval.head(model, text, 9));
        assertEquals("aaaa\nbbbb\n", DocumentEval.head(model, text, 10));
        assertEquals("aaa", DocumentEval.head(model, text, 3), "a first line past the budget is cut by tokens");
    }
}
