package ai.adaptserve.lab.eval;

import ai.adaptserve.lab.cli.CommandArgs;
import ai.adaptserve.lab.eval.DocumentReport.Answer;
import ai.adaptserve.lab.eval.DocumentReport.Row;
import ai.adaptserve.lab.eval.DocumentReport.Summary;
import ai.adaptserve.lab.tasks.DocumentTask;
import ai.adaptserve.lab.tasks.SyntheticDocuments;
import ai.adaptserve.lab.tasks.TaskGenerator;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.Perplexity;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import ai.adaptserve.model.ttt.DocumentRecipe;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Document test-time training, measured: for each document, the perplexity of its held-out continuation and the
 * exact match on its questions, (a) with the document in the context, (b) with the document learned into an adapter
 * by {@link DocumentTrainer} and left out of the context, and (c) for the base model with neither (the floor).
 *
 * <p>The model's context is finite (the built-in model's holds 512 byte tokens, less than one synthetic document), so:
 *
 * <ul>
 *   <li>the continuation is scored on its first whole lines up to {@link Config#continuationTokens()} tokens (by
 *       default half the context), the same tokens in every setting;
 *   <li>"document in context" keeps only the document's <b>last</b> whole lines that fit in front of the
 *       continuation (for perplexity) or in front of the question (for questions); the rows say how many document
 *       tokens were kept;
 *   <li>the adapter is always trained on the whole document.
 * </ul>
 *
 * <p>Answers are generated greedily, stop at {@code "\n"}, and match when equal to the expected answer after
 * trimming white space. The prompt with the document in context is rendered as the API does: document, a blank
 * line, then {@link DocumentTask.Question#prompt()}.
 */
public final class DocumentEval {
    private DocumentEval() {}

    /**
     * @param trainer how each document is learned (kind, chunking, passes, learning rate, rank); its seed is
     *     replaced per document by one derived from {@code seed} and the document's id
     * @param budget the most each document's training may spend (steps and wall time)
     * @param maxDocuments documents evaluated, from the start of the list
     * @param seed seeds the adapters' initialisation
     * @param continuationTokens most continuation tokens scored; 0 means half the model's context
     * @param maxAnswerTokens most tokens generated per answer
     */
    @RecordBuilder
    public record Config(
            DocumentTrainer.Config trainer,
            TrainingBudget budget,
            int maxDocuments,
            long seed,
            int continuationTokens,
            int maxAnswerTokens)
            implements DocumentEvalConfigBuilder.With {
        public Config {
            Objects.requireNonNull(trainer, "trainer");
            Objects.requireNonNull(budget, "budget");
            if (maxDocuments < 1) {
                throw new IllegalArgumentException("maxDocuments must be >= 1, was " + maxDocuments);
            }
            if (continuationTokens < 0) {
                throw new IllegalArgumentException("continuationTokens must be >= 0, was " + continuationTokens);
            }
            if (maxAnswerTokens < 1) {
                throw new IllegalArgumentException("maxAnswerTokens must be >= 1, was " + maxAnswerTokens);
            }
        }

        /**
         * The service's document training ({@link DocumentRecipe#serviceDefaults()}: its trainer, its step limit and
         * wall time), every document, seed 0, 24 answer tokens.
         */
        public static Config defaults() {
            DocumentRecipe service = DocumentRecipe.serviceDefaults();
            return new Config(
                    service.trainer(),
                    new TrainingBudget(service.maxSteps(), service.maxWallTime()),
                    Integer.MAX_VALUE,
                    0L,
                    0,
                    24);
        }

        /** The settings as the service's recipe: {@code budget} is its step limit and wall time. */
        public DocumentRecipe recipe() {
            return new DocumentRecipe(trainer, budget.maxSteps(), budget.maxWallTime());
        }
    }

    /**
     * Evaluates the first {@code cfg.maxDocuments()} documents; one line per document (and the truncation notes
     * first) goes to {@code progress}.
     *
     * @throws IllegalArgumentException when the model's context is too small to hold a question and its answer, or a
     *     document has no continuation of at least 2 tokens
     */
    public static Summary run(LoadedModel model, List<DocumentTask> docs, Config cfg, PrintStream progress) {
        int ctx = model.contextLength();
        int contBudget = cfg.continuationTokens() > 0 ? cfg.continuationTokens() : ctx / 2;
        if (contBudget + 1 > ctx) {
            throw new IllegalArgumentException(
                    "continuationTokens " + contBudget + " do not fit the model's context of " + ctx);
        }
        List<DocumentTask> chosen = docs.subList(0, Math.min(docs.size(), cfg.maxDocuments()));
        List<String> notes = List.of(
                String.format(
                        Locale.ROOT,
                        "the model's context holds %d tokens: each continuation is scored on its first whole lines up"
                                + " to %d tokens, the same tokens in every setting",
                        ctx,
                        contBudget),
                "'in context' keeps only the document's last whole lines that fit in front of the continuation or the"
                        + " question (see document_tokens_in_ppl_context and document_tokens_in_question_context);"
                        + " the adapter is trained on the whole document");
        notes.forEach(n -> progress.println("note: " + n));
        List<Row> rows = new ArrayList<>();
        for (DocumentTask doc : chosen) {
            Row row = evaluate(model, doc, cfg, contBudget);
            rows.add(row);
            progress.println(DocumentReport.line(row));
        }
        Summary s =
                new Summary(DocumentReport.settings(model, cfg, contBudget), notes, DocumentReport.totals(rows), rows);
        progress.print(DocumentReport.line(s.totals()));
        return s;
    }

    /**
     * Runs the evaluation from the command line ({@link DocumentEvalCommand}): the model from {@code --model} (or the
     * built-in random one under {@code --builtin}), documents from a JSON Lines file or {@link SyntheticDocuments};
     * progress to stdout, the summary JSON to {@code --out} (or stdout).
     */
    public static void main(String[] args) {
        CommandArgs.exitWith(DocumentEvalCommand.run(args, System.out, System.err));
    }

    static Row evaluate(LoadedModel model, DocumentTask doc, Config cfg, int contBudget) {
        int ctx = model.contextLength();
        int bos = model.config().bosTokenId().isPresent() ? 1 : 0;
        int documentTokens = model.tokenizer().encode(doc.document(), false).length;
        int continuationTotal = model.tokenizer().encode(doc.continuation(), false).length;
        String continuation = head(model, doc.continuation(), contBudget);
        int contTokens = model.tokenizer().encode(continuation, false).length;
        if (contTokens < 2) {
            throw new IllegalArgumentException(doc.id() + ": the continuation needs at least 2 tokens");
        }

        // Base, without and with (the tail of) the document in context.
        double pplBase = Perplexity.ofContinuation(model, Optional.empty(), "", continuation);
        String pplContext = tail(model, doc.document(), ctx - bos - contTokens);
        double pplInContext = Perplexity.ofContinuation(model, Optional.empty(), pplContext, continuation);
        double docPplBase = Perplexity.of(model, Optional.empty(), doc.document());

        // The document learned into an adapter.
        DocumentTrainer.Config seeded =
                cfg.trainer().withSeed(TaskGenerator.derive(cfg.seed(), "document-eval:" + doc.id()));
        // As the service: every chunk, passes times, or refused (413) when that is past the step limit.
        DocumentRecipe.Plan plan = cfg.recipe().plan(model, doc.document());
        if (!plan.covered()) {
            throw new IllegalArgumentException(doc.id() + ": " + plan.steps() + " steps needed, past the limit of "
                    + cfg.budget().maxSteps() + " (the service refuses this document with 413)");
        }
        TrainingResult<Adapter> trained = DocumentTrainer.train(
                model, doc.document(), seeded, cfg.recipe().budget(plan), TrainingListener.NONE);
        Optional<Adapter> adapter = Optional.of(trained.adapter());
        double pplAdapter = Perplexity.ofContinuation(model, adapter, "", continuation);
        double docPplAdapter = Perplexity.of(model, adapter, doc.document());

        // Questions: document tail in context; adapter; base.
        List<DocumentTask.Question> qs = doc.questions();
        int longestPrompt = 0;
        for (DocumentTask.Question q : qs) {
            longestPrompt = Math.max(
                    longestPrompt,
                    model.tokenizer().encode(PromptRenderer.DOCUMENT_SEPARATOR + q.prompt(), false).length);
        }
        int questionBudget = ctx - bos - longestPrompt - cfg.maxAnswerTokens() - 1;
        if (!qs.isEmpty() && questionBudget < 0) {
            throw new IllegalArgumentException("the model's context (" + ctx + " tokens) cannot hold a question of "
                    + longestPrompt + " tokens and an answer of " + cfg.maxAnswerTokens());
        }
        String questionContext = qs.isEmpty() ? "" : tail(model, doc.document(), questionBudget);
        List<Answer> answers = new ArrayList<>();
        int inContext = 0;
        int withAdapter = 0;
        int base = 0;
        if (!qs.isEmpty()) {
            GenerationParams params = new GenerationParams(cfg.maxAnswerTokens(), 0f, 1f, List.of("\n"), 0L);
            List<String> prompts = new ArrayList<>();
            List<Optional<Adapter>> adapters = new ArrayList<>();
            for (DocumentTask.Question q : qs) {
                prompts.add(PromptRenderer.withDocument(questionContext, q.prompt()));
                adapters.add(Optional.empty());
            }
            for (DocumentTask.Question q : qs) {
                prompts.add(q.prompt());
                adapters.add(adapter);
            }
            for (DocumentTask.Question q : qs) {
                prompts.add(q.prompt());
                adapters.add(Optional.empty());
            }
            List<GenerationParams> ps = java.util.Collections.nCopies(prompts.size(), params);
            // Two batches: the long in-context prompts, then the short ones (adapter and base rows together).
            int n = qs.size();
            List<Generation> longRows = model.generate(prompts.subList(0, n), ps.subList(0, n), adapters.subList(0, n));
            List<Generation> shortRows =
                    model.generate(prompts.subList(n, 3 * n), ps.subList(n, 3 * n), adapters.subList(n, 3 * n));
            for (int i = 0; i < n; i++) {
                DocumentTask.Question q = qs.get(i);
                String expected = q.answer().strip();
                String a = longRows.get(i).text().strip();
                String b = shortRows.get(i).text().strip();
                String c = shortRows.get(n + i).text().strip();
                inContext += a.equals(expected) ? 1 : 0;
                withAdapter += b.equals(expected) ? 1 : 0;
                base += c.equals(expected) ? 1 : 0;
                answers.add(new Answer(q.question(), expected, a, b, c));
            }
        }
        return new Row(
                doc.id(),
                documentTokens,
                contTokens,
                continuationTotal,
                model.tokenizer().encode(pplContext, false).length,
                model.tokenizer().encode(questionContext, false).length,
                pplBase,
                pplInContext,
                pplAdapter,
                docPplBase,
                docPplAdapter,
                qs.size(),
                inContext,
                withAdapter,
                base,
                trained.steps(),
                finite(trained.firstLoss()),
                finite(trained.lastLoss()),
                trained.elapsedMs(),
                trained.stopReason().name().toLowerCase(Locale.ROOT),
                answers);
    }

    /** The longest run of whole lines from the start of {@code text} within {@code maxTokens} (at least one token). */
    static String head(LoadedModel model, String text, int maxTokens) {
        if (model.tokenizer().encode(text, false).length <= maxTokens) {
            return text;
        }
        List<Integer> ends = lineEnds(text);
        String best = "";
        for (int end : ends) {
            String h = text.substring(0, end);
            if (model.tokenizer().encode(h, false).length > maxTokens) {
                break;
            }
            best = h;
        }
        if (best.isEmpty()) { // a first line longer than the budget: cut it by tokens
            int[] ids = model.tokenizer().encode(text, false);
            best = model.tokenizer().decode(java.util.Arrays.copyOf(ids, Math.max(1, maxTokens)));
        }
        return best;
    }

    /**
     * The longest run of whole lines from the end of {@code text} within {@code maxTokens}: all of it when it fits,
     * otherwise its last lines (empty when not even the last line fits).
     */
    static String tail(LoadedModel model, String text, int maxTokens) {
        if (maxTokens <= 0) {
            return "";
        }
        if (model.tokenizer().encode(text, false).length <= maxTokens) {
            return text;
        }
        // Line starts after the first; the token count of text.substring(start) falls as start grows.
        List<Integer> starts = lineEnds(text);
        int lo = 0;
        int hi = starts.size(); // hi == size: nothing
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int start = starts.get(mid);
            if (start < text.length() && model.tokenizer().encode(text.substring(start), false).length <= maxTokens) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo < starts.size() && starts.get(lo) < text.length() ? text.substring(starts.get(lo)) : "";
    }

    /** Offsets just after each {@code '\n'} of {@code text}, and its length if it does not end with one. */
    private static List<Integer> lineEnds(String text) {
        List<Integer> ends = new ArrayList<>();
        for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
            ends.add(i + 1);
        }
        if (ends.isEmpty() || ends.get(ends.size() - 1) != text.length()) {
            ends.add(text.length());
        }
        return ends;
    }

    private static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }
}
