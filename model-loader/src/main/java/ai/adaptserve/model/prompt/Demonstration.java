package ai.adaptserve.model.prompt;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** One few-shot demonstration: an input and the output the task gives for it. */
@JsonPropertyOrder({"input", "output"})
public record Demonstration(String input, String output) {
    public Demonstration {
        Objects.requireNonNull(input, "example input is required");
        Objects.requireNonNull(output, "example output is required");
    }
}
