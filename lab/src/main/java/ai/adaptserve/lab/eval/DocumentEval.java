package ai.adaptserve.lab.eval;

import ai.adaptserve.lab.cli.CommandArgs;
import ai.adaptserve.lab.tasks.DocumentTask;
import ai.adaptserve.lab.tasks.SyntheticDocuments;
import ai.adaptserve.lab.tasks.TaskFiles;
import ai.adaptserve.lab.tasks.TaskGenerator;
import ai.adaptserve.model.BuiltinModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.ModelOptions;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.Perplexity;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

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
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

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
    public record Config(
            DocumentTrainer.Config trainer,
            TrainingBudget budget,
            int maxDocuments,
            long seed,
            int continuationTokens,
            int maxAnswerTokens) {
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

        /** LoRA as {@link DocumentTrainer.Config#lora()}, no step limit, every document, seed 0, 24 answer tokens. */
        public static Config defaults() {
            return new Config(
                    DocumentTrainer.Config.lora(),
                    TrainingBudget.steps(Integer.MAX_VALUE),
                    Integer.MAX_VALUE,
                    0L,
                    0,
                    24);
        }

        public Config withTrainer(DocumentTrainer.Config t) {
            return new Config(t, budget, maxDocuments, seed, continuationTokens, maxAnswerTokens);
        }

        public Config withBudget(TrainingBudget b) {
            return new Config(trainer, b, maxDocuments, seed, continuationTokens, maxAnswerTokens);
        }

        public Config withMaxDocuments(int n) {
            return new Config(trainer, budget, n, seed, continuationTokens, maxAnswerTokens);
        }

        public Config withSeed(long s) {
            return new Config(trainer, budget, maxDocuments, s, continuationTokens, maxAnswerTokens);
        }

        public Config withContinuationTokens(int n) {
            return new Config(trainer, budget, maxDocuments, seed, n, maxAnswerTokens);
        }

        public Config withMaxAnswerTokens(int n) {
            return new Config(trainer, budget, maxDocuments, seed, continuationTokens, n);
        }
    }

    /** One question's answers in the three settings (the generated text, trimmed). */
    @JsonPropertyOrder({"question", "answer", "in_context", "adapter", "base"})
    public record Answer(String question, String answer, String inContext, String adapter, String base) {}

    /**
     * One document's figures. Perplexities are of the scored continuation tokens ({@code continuationTokens} of
     * {@code continuationTokensTotal}); {@code documentPpl*} are of the whole document (the training text itself,
     * scored in context-sized windows), a check that training learnt what it saw.
     *
     * @param documentTokens tokens of the whole document
     * @param documentTokensInPplContext document tokens (its last ones) in front of the continuation for
     *     {@code pplInContext}
     * @param documentTokensInQuestionContext document tokens (its last ones) in front of each question for
     *     {@code correctInContext}
     * @param trainFirstLoss loss of the first training step (null if none ran)
     * @param trainLastLoss loss of the last training step (null if none ran)
     */
    @JsonPropertyOrder({
        "id",
        "document_tokens",
        "continuation_tokens",
        "continuation_tokens_total",
        "document_tokens_in_ppl_context",
        "document_tokens_in_question_context",
        "ppl_base",
        "ppl_in_context",
        "ppl_adapter",
        "document_ppl_base",
        "document_ppl_adapter",
        "questions",
        "correct_in_context",
        "correct_adapter",
        "correct_base",
        "train_steps",
        "train_first_loss",
        "train_last_loss",
        "train_ms",
        "train_stop",
        "answers"
    })
    public record Row(
            String id,
            int documentTokens,
            int continuationTokens,
            int continuationTokensTotal,
            int documentTokensInPplContext,
            int documentTokensInQuestionContext,
            double pplBase,
            double pplInContext,
            double pplAdapter,
            double documentPplBase,
            double documentPplAdapter,
            int questions,
            int correctInContext,
            int correctAdapter,
            int correctBase,
            int trainSteps,
            Double trainFirstLoss,
            Double trainLastLoss,
            long trainMs,
            String trainStop,
            List<Answer> answers) {}

    /**
     * Totals over the documents. Perplexities are pooled over every scored token ({@code exp} of the token-weighted
     * mean log-perplexity), accuracies are over every question.
     */
    @JsonPropertyOrder({
        "documents",
        "questions",
        "correct_in_context",
        "correct_adapter",
        "correct_base",
        "accuracy_in_context",
        "accuracy_adapter",
        "accuracy_base",
        "continuation_tokens",
        "ppl_base",
        "ppl_in_context",
        "ppl_adapter",
        "document_ppl_base",
        "document_ppl_adapter",
        "mean_train_ms",
        "mean_train_steps"
    })
    public record Totals(
            int documents,
            int questions,
            int correctInContext,
            int correctAdapter,
            int correctBase,
            double accuracyInContext,
            double accuracyAdapter,
            double accuracyBase,
            long continuationTokens,
            double pplBase,
            double pplInContext,
            double pplAdapter,
            double documentPplBase,
            double documentPplAdapter,
            double meanTrainMs,
            double meanTrainSteps) {}

    /** The settings of a run, as they go into the summary. */
    @JsonPropertyOrder({
        "model",
        "fingerprint",
        "context_tokens",
        "adapter_kind",
        "chunk_tokens",
        "learning_rate",
        "passes",
        "rank",
        "alpha",
        "targets",
        "max_steps",
        "max_wall_ms",
        "seed",
        "continuation_tokens",
        "max_answer_tokens"
    })
    public record Settings(
            String model,
            String fingerprint,
            int contextTokens,
            String adapterKind,
            int chunkTokens,
            float learningRate,
            int passes,
            int rank,
            float alpha,
            List<String> targets,
            int maxSteps,
            long maxWallMs,
            long seed,
            int continuationTokens,
            int maxAnswerTokens) {}

    /** A run's result; {@link #toJson()} is the machine-readable summary (snake_case keys, in this order). */
    @JsonPropertyOrder({"settings", "notes", "totals", "documents"})
    public record Summary(Settings settings, List<String> notes, Totals totals, List<Row> documents) {
        public Summary {
            notes = List.copyOf(notes);
            documents = List.copyOf(documents);
        }

        public String toJson() {
            try {
                return JSON.writeValueAsString(this);
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
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
            progress.println(line(row));
        }
        Summary s = new Summary(settings(model, cfg, contBudget), notes, totals(rows), rows);
        Totals t = s.totals();
        progress.printf(
                Locale.ROOT,
                "%d documents, %d questions: exact match in context %.3f, adapter %.3f, base %.3f; continuation ppl"
                        + " base %.3f, in context %.3f, adapter %.3f; training %.0f ms (%.1f steps) per document%n",
                t.documents(),
                t.questions(),
                t.accuracyInContext(),
                t.accuracyAdapter(),
                t.accuracyBase(),
                t.pplBase(),
                t.pplInContext(),
                t.pplAdapter(),
                t.meanTrainMs(),
                t.meanTrainSteps());
        return s;
    }

    static final String USAGE = "usage: DocumentEval (--model DIR | --builtin CACHE_DIR) [--documents FILE.jsonl |"
            + " --count 5 --data-seed 1] [--kind lora|svf] [--passes 2] [--chunk 64] [--lr X] [--rank 8] [--steps N]"
            + " [--max-seconds S] [--seed 0] [--continuation-tokens N] [--out summary.json] [--threads 1]";

    /**
     * Runs the evaluation from the command line: the model from {@code --model} (or the built-in random one under
     * {@code --builtin}), documents from a JSON Lines file or {@link SyntheticDocuments}; progress to stdout, the
     * summary JSON to {@code --out} (or stdout).
     */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    private static final List<String> OPTIONS = List.of(
            "--model",
            "--builtin",
            "--documents",
            "--count",
            "--data-seed",
            "--kind",
            "--passes",
            "--chunk",
            "--lr",
            "--rank",
            "--steps",
            "--max-seconds",
            "--seed",
            "--continuation-tokens",
            "--out",
            "--threads");

    /** Runs the command line; returns the exit code (0 done, 1 failed, 2 bad arguments). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandArgs v;
        List<DocumentTask> docs;
        DocumentTrainer.Config t;
        Config cfg;
        try {
            v = CommandArgs.parse(args, OPTIONS, List.of());
            if (v.has("--model") == v.has("--builtin")) {
                throw new IllegalArgumentException("give one of --model or --builtin");
            }
            String kind = v.string("--kind").orElse("lora");
            if (!kind.equals("lora") && !kind.equals("svf")) {
                throw new IllegalArgumentException("--kind must be lora or svf, was " + kind);
            }
            int count = v.intArg("--count", v.has("--documents") ? Integer.MAX_VALUE : 5, 1);
            docs = v.has("--documents")
                    ? TaskFiles.readDocuments(v.requiredPath("--documents"))
                    : SyntheticDocuments.generate(count, v.longArg("--data-seed", 1));
            t = kind.equals("svf") ? DocumentTrainer.Config.svf() : DocumentTrainer.Config.lora();
            t = new DocumentTrainer.Config(
                    t.kind(),
                    v.intArg("--chunk", t.chunkTokens(), 2),
                    (float) v.doubleArg("--lr", t.learningRate(), 1e-9),
                    v.intArg("--passes", t.passes(), 1),
                    v.intArg("--rank", t.rank(), 1),
                    t.alpha(),
                    t.targets(),
                    t.seed());
            TrainingBudget budget = new TrainingBudget(
                    v.intArg("--steps", Integer.MAX_VALUE, 0),
                    v.has("--max-seconds")
                            ? Duration.ofMillis(Math.round(v.doubleArg("--max-seconds", 0, 0) * 1000))
                            : Duration.ofDays(365));
            cfg = Config.defaults()
                    .withTrainer(t)
                    .withBudget(budget)
                    .withMaxDocuments(Math.min(count, docs.size()))
                    .withSeed(v.longArg("--seed", 0))
                    .withContinuationTokens(v.intArg("--continuation-tokens", 0, 0));
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("cannot read the documents: " + e.getMessage());
            return 2;
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(v.intArg("--threads", 1, 1));
        ModelOptions options = t.kind() == DocumentTrainer.Kind.SVF
                ? ModelOptions.defaults().withSvdTargets(t.targets())
                : ModelOptions.defaults();
        Path dir = v.path("--model").orElseGet(() -> BuiltinModel.materialize(v.requiredPath("--builtin")));
        try (LoadedModel model = LoadedModel.load(dir, options)) {
            Summary s = run(model, docs, cfg, out);
            Optional<Path> file = v.path("--out");
            if (file.isPresent()) {
                Path parent = file.get().toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(file.get(), s.toJson() + "\n");
                out.println("wrote " + file.get());
            } else {
                out.println(s.toJson());
            }
            return 0;
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            err.println("eval-documents failed: " + e);
            return 1;
        }
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
        DocumentTrainer.Config t = cfg.trainer();
        DocumentTrainer.Config seeded = new DocumentTrainer.Config(
                t.kind(),
                t.chunkTokens(),
                t.learningRate(),
                t.passes(),
                t.rank(),
                t.alpha(),
                t.targets(),
                TaskGenerator.derive(cfg.seed(), "document-eval:" + doc.id()));
        TrainingResult<Adapter> trained =
                DocumentTrainer.train(model, doc.document(), seeded, cfg.budget(), TrainingListener.NONE);
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

    static Totals totals(List<Row> rows) {
        int questions = 0;
        int a = 0;
        int b = 0;
        int c = 0;
        long tokens = 0;
        long docTokens = 0;
        double logBase = 0;
        double logIn = 0;
        double logAdapter = 0;
        double logDocBase = 0;
        double logDocAdapter = 0;
        double ms = 0;
        double steps = 0;
        for (Row r : rows) {
            questions += r.questions();
            a += r.correctInContext();
            b += r.correctAdapter();
            c += r.correctBase();
            tokens += r.continuationTokens();
            logBase += r.continuationTokens() * Math.log(r.pplBase());
            logIn += r.continuationTokens() * Math.log(r.pplInContext());
            logAdapter += r.continuationTokens() * Math.log(r.pplAdapter());
            docTokens += r.documentTokens();
            logDocBase += r.documentTokens() * Math.log(r.documentPplBase());
            logDocAdapter += r.documentTokens() * Math.log(r.documentPplAdapter());
            ms += r.trainMs();
            steps += r.trainSteps();
        }
        int n = rows.size();
        return new Totals(
                n,
                questions,
                a,
                b,
                c,
                ratio(a, questions),
                ratio(b, questions),
                ratio(c, questions),
                tokens,
                tokens == 0 ? Double.NaN : Math.exp(logBase / tokens),
                tokens == 0 ? Double.NaN : Math.exp(logIn / tokens),
                tokens == 0 ? Double.NaN : Math.exp(logAdapter / tokens),
                docTokens == 0 ? Double.NaN : Math.exp(logDocBase / docTokens),
                docTokens == 0 ? Double.NaN : Math.exp(logDocAdapter / docTokens),
                n == 0 ? 0 : ms / n,
                n == 0 ? 0 : steps / n);
    }

    private static Settings settings(LoadedModel model, Config cfg, int contBudget) {
        DocumentTrainer.Config t = cfg.trainer();
        return new Settings(
                model.name(),
                model.fingerprint(),
                model.contextLength(),
                t.kind().name().toLowerCase(Locale.ROOT),
                t.chunkTokens(),
                t.learningRate(),
                t.passes(),
                t.rank(),
                t.alpha(),
                t.targets().stream().map(Enum::name).sorted().collect(Collectors.toList()),
                cfg.budget().maxSteps(),
                cfg.budget().maxWallTime().toMillis(),
                cfg.seed(),
                contBudget,
                cfg.maxAnswerTokens());
    }

    private static String line(Row r) {
        return String.format(
                Locale.ROOT,
                "%s: %d tokens; trained %d steps in %d ms (loss %s -> %s, %s); continuation (%d of %d tokens) ppl base"
                        + " %.3f, document in context (last %d tokens) %.3f, adapter %.3f; document ppl %.3f -> %.3f;"
                        + " %d questions (document's last %d tokens in context): in context %d, adapter %d, base %d",
                r.id(),
                r.documentTokens(),
                r.trainSteps(),
                r.trainMs(),
                r.trainFirstLoss() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.trainFirstLoss()),
                r.trainLastLoss() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.trainLastLoss()),
                r.trainStop(),
                r.continuationTokens(),
                r.continuationTokensTotal(),
                r.pplBase(),
                r.documentTokensInPplContext(),
                r.pplInContext(),
                r.pplAdapter(),
                r.documentPplBase(),
                r.documentPplAdapter(),
                r.questions(),
                r.documentTokensInQuestionContext(),
                r.correctInContext(),
                r.correctAdapter(),
                r.correctBase());
    }

    private static double ratio(int k, int n) {
        return n == 0 ? 0 : (double) k / n;
    }

    private static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }
}
