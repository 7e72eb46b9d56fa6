package ai.adaptserve.function.generation;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** How one answer is chosen among several samples. */
public enum Vote {
    /** The most frequent text; a tie goes to the text with the highest log-probability. */
    MAJORITY("majority"),
    /** The sample with the highest total log-probability. */
    LOGPROB("logprob");

    private final String json;

    Vote(String json) {
        this.json = json;
    }

    @JsonValue
    public String json() {
        return json;
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
