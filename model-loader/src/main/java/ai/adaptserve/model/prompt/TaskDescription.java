package ai.adaptserve.model.prompt;

import java.util.Objects;

/**
 * How a task is named in a prompt: a short tag ({@code reverse}, {@code rotate 2}) for the arrow and question
 * phrasings, and a one-sentence instruction for the instruction phrasing. The serving path knows no task families:
 * whoever knows the task (the lab's task suite, a caller) supplies its description.
 *
 * @param tag the short name
 * @param instruction one sentence
 */
public record TaskDescription(String tag, String instruction) {
    /** A task of unknown kind: its prompts carry no hint beyond the demonstrations. */
    public static final TaskDescription UNKNOWN = new TaskDescription("task", "Find the rule in the examples.");

    public TaskDescription {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(instruction, "instruction");
    }
}
