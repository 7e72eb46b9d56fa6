package ai.adaptserve.lab.tasks;

import ai.adaptserve.model.prompt.Demonstration;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One few-shot task in the eval format of design.md ("Few-shot task files"): demonstrations, a test input and its
 * expected output. One JSON object per line:
 *
 * <pre>{"id": "t-0001", "family": "reverse", "examples": [{"input": "abc", "output": "cba"}], "input": "hello",
 * "output": "olleh"}</pre>
 *
 * <p>{@code family} is optional: absent for tasks of unknown kind. Generated novel tasks carry a descriptive label
 * starting with {@code novel:} (see {@link NovelTasks}); that label is not a known family and must not be sent as
 * the API's {@code task} hint ({@link #trainingFamily()} tells the two apart). {@code params} is an optional
 * addition to the design's fields: the hidden per-task parameters of the generating function (for example
 * {@code {"k": "2"}} for {@code rotate}, the table of {@code substitute}), with which {@link Operations#forTask}
 * rebuilds that function. It is omitted when empty, and readers that do not know it may ignore it.
 */
@JsonPropertyOrder({"id", "family", "examples", "input", "output", "params"})
public record FewShotTask(
        String id,
        @JsonInclude(JsonInclude.Include.NON_NULL) String family,
        List<Demonstration> examples,
        String input,
        String output,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> params) {

    public FewShotTask {
        Objects.requireNonNull(id, "id is required");
        Objects.requireNonNull(input, "input is required");
        Objects.requireNonNull(output, "output is required");
        examples = examples == null ? List.of() : List.copyOf(examples);
        params = params == null || params.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(params));
    }

    public FewShotTask(String id, String family, List<Demonstration> examples, String input, String output) {
        this(id, family, examples, input, output, Map.of());
    }

    /** The training family this task belongs to, if its {@code family} names one (never for novel tasks). */
    @JsonIgnore
    public Optional<TaskFamily> trainingFamily() {
        return TaskFamily.byLabel(family);
    }
}
