package ai.adaptserve.lab.tasks;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Objects;

/**
 * A long document for document test-time training: the part to train on ({@code document}), a held-out
 * {@code continuation} that reuses the document's entities and facts (its loss measures what the adapter learnt),
 * and questions with exact answers whose facts are stated in {@code document}. One JSON object per line:
 *
 * <pre>{"id": "doc-0001", "document": "…", "continuation": "…", "questions": [{"question": "owner of T-104?",
 * "answer": "alice"}]}</pre>
 */
@JsonPropertyOrder({"id", "document", "continuation", "questions"})
public record DocumentTask(String id, String document, String continuation, List<Question> questions) {

    /**
     * A question and its exact answer. Questions read {@code "<attribute> of <subject>?"} or, two hops,
     * {@code "<attribute> of <attribute> of <subject>?"}.
     */
    @JsonPropertyOrder({"question", "answer"})
    public record Question(String question, String answer) {
        /** The prompt's fixed lead-in; the model's answer follows it and ends with a newline. */
        public static final String PREFIX = "Q: ";

        public Question {
            Objects.requireNonNull(question, "question is required");
            Objects.requireNonNull(answer, "answer is required");
        }

        /** The prompt for this question, ending where the answer starts: {@code "Q: owner of T-104? A: "}. */
        public String prompt() {
            return PREFIX + question + " A: ";
        }
    }

    public DocumentTask {
        Objects.requireNonNull(id, "id is required");
        Objects.requireNonNull(document, "document is required");
        continuation = continuation == null ? "" : continuation;
        questions = questions == null ? List.of() : List.copyOf(questions);
    }
}
