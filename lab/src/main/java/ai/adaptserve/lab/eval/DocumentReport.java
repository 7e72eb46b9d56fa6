package ai.adaptserve.lab.eval;

import ai.adaptserve.lab.eval.DocumentEval.Config;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.train.DocumentTrainer;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What {@link DocumentEval} reports: one {@link Row} per document, the {@link Totals} over them, the run's
 * {@link Settings}, all in a {@link Summary} that writes itself as JSON; and the progress lines that describe a row and
 * the totals.
 */
public final class DocumentReport {
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private DocumentReport() {}

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

    static Settings settings(LoadedModel model, Config cfg, int contBudget) {
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

    /** One document's progress line. */
    static String line(Row r) {
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

    /** The closing progress line: the totals over every document. */
    static String line(Totals t) {
        return String.format(
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
    }
}
