package ai.adaptserve.function.generation;

import ai.adaptserve.model.vote.SampleVote;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** How one answer is chosen among several candidates. */
public enum Vote {
    /** The most frequent text; a tie goes to the text with the highest log-probability. */
    MAJORITY("majority"),
    /** The sample with the highest total log-probability. */
    LOGPROB("logprob"),
    /** The answer (trimmed) with the most probability mass: {@code Σ exp(total log-probability)} of its samples. */
    WEIGHTED("weighted"),
    /**
     * Best of N by a verifier: each distinct answer is scored by how well the model (with the request's adapter)
     * predicts the request's own examples with that answer as one more demonstration; needs examples.
     */
    VERIFIER("verifier"),
    /**
     * The ARC study's augmented inference: one greedy answer per invertible transform of the examples and prompt
     * (identity, reversal, colour relabellings of digit rows) and order of the examples, each mapped back, then a
     * hierarchical vote; needs examples, one sample.
     */
    AUGMENTED("augmented");

    private final String json;

    Vote(String json) {
        this.json = json;
    }

    @JsonValue
    public String json() {
        return json;
    }

    /** The shared rule for the votes that need only the samples; empty for {@link #VERIFIER} and {@link #AUGMENTED}. */
    Optional<SampleVote.Rule> sampleRule() {
        return switch (this) {
            case MAJORITY -> Optional.of(SampleVote.Rule.MAJORITY);
            case LOGPROB -> Optional.of(SampleVote.Rule.LOGPROB);
            case WEIGHTED -> Optional.of(SampleVote.Rule.WEIGHTED);
            case VERIFIER, AUGMENTED -> Optional.empty();
        };
    }

    /** Whether the vote reads the request's examples. */
    boolean needsExamples() {
        return this == VERIFIER || this == AUGMENTED;
    }

    /** The names, for error messages: {@code "majority", "logprob", …}. */
    static String names() {
        return String.join(
                ", ", Arrays.stream(values()).map(v -> "\"" + v.json + "\"").toList());
    }

    static Optional<Vote> fromJson(String value) {
        for (Vote v : values()) {
            if (v.json.equals(value)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
