package ai.adaptserve.lab.tasks;

import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.Phrasing;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.prompt.TaskDescription;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The task suite's prompts: what the suite knows about its families (their tags and instructions) put into the
 * served {@link PromptRenderer}. Every phrasing but {@link Phrasing#GENERIC} names the family and its scalar
 * parameters ({@code rotate 2}, {@code recolour 3>7}); a task without a training family (novel, or unknown) is
 * described by {@link TaskDescription#UNKNOWN}, so its prompts carry no hint beyond the demos. A substitution table
 * is never written out: it is learnt from demos. With at most 4 demonstrations of the generated sizes a prompt stays
 * within {@value #MAX_DEMO_PROMPT_BYTES} bytes.
 */
public final class PromptFormat {
    /** Ends every answer; use it as the stop string. */
    public static final String TERMINATOR = PromptRenderer.TERMINATOR;
    /** Number of phrasings. */
    public static final int PHRASINGS = Phrasing.values().length;
    /** Budget of a prompt with demonstrations, in UTF-8 bytes (the built-in model's context is 256–512 bytes). */
    public static final int MAX_DEMO_PROMPT_BYTES = 200;

    private PromptFormat() {}

    /** The prompt for {@code task}'s test input, with or without its demonstrations. */
    public static String render(FewShotTask task, boolean withDemos, Phrasing phrasing) {
        return render(task.family(), task.params(), withDemos ? task.examples() : List.of(), task.input(), phrasing);
    }

    /** The prompt for {@code input} after {@code demos} (may be empty), for a task of {@code family} (may be null). */
    public static String render(
            String family, Map<String, String> params, List<Demonstration> demos, String input, Phrasing phrasing) {
        return PromptRenderer.render(phrasing, describe(family, params), demos, input);
    }

    /** What the model should produce after {@link #render}: the output and the terminator. */
    public static String completion(FewShotTask task) {
        return task.output() + TERMINATOR;
    }

    /**
     * Whether the prompt holds what the answer needs: with demonstrations always (the generator guarantees it);
     * without, only a phrasing that names a training family other than {@code substitute}.
     */
    public static boolean answerable(FewShotTask task, boolean withDemos, Phrasing phrasing) {
        if (withDemos && !task.examples().isEmpty()) {
            return true;
        }
        Optional<TaskFamily> family = task.trainingFamily();
        return phrasing != Phrasing.GENERIC && family.isPresent() && family.get() != TaskFamily.SUBSTITUTE;
    }

    /** The family's tag and instruction, or {@link TaskDescription#UNKNOWN} for a label that is no training family. */
    public static TaskDescription describe(String family, Map<String, String> params) {
        Optional<TaskFamily> known = TaskFamily.byLabel(family);
        if (known.isEmpty()) {
            return TaskDescription.UNKNOWN;
        }
        return new TaskDescription(tag(known.get(), family, params), instruction(known.get(), params));
    }

    private static String tag(TaskFamily known, String family, Map<String, String> params) {
        return switch (known) {
            case ROTATE, CAESAR, SHIFT -> params.containsKey("k") ? family + " " + params.get("k") : family;
            case RECOLOUR ->
                params.containsKey("from") && params.containsKey("to")
                        ? family + " " + params.get("from") + ">" + params.get("to")
                        : family;
            default -> family;
        };
    }

    private static String instruction(TaskFamily known, Map<String, String> params) {
        String k = params.get("k");
        return switch (known) {
            case REVERSE -> "Reverse the text.";
            case SORT -> "Sort the letters.";
            case ROTATE -> k == null ? "Rotate the text left." : "Rotate the text left by " + k + ".";
            case CAESAR ->
                k == null ? "Move each letter on in the alphabet." : "Move each letter " + k + " on in the alphabet.";
            case UPPER -> "Write the text in capitals.";
            case DEDUP -> "Remove repeated letters.";
            case ADD -> "Add the two numbers.";
            case SUBSTITUTE -> "Replace each letter by its partner in the table.";
            case SHIFT -> k == null ? "Move the colours right." : "Move the colours " + k + " cells right.";
            case MIRROR -> "Mirror the row.";
            case RECOLOUR ->
                params.containsKey("from") && params.containsKey("to")
                        ? "Recolour " + params.get("from") + " to " + params.get("to") + "."
                        : "Recolour the row.";
            case FILL -> "Fill between equal colours.";
            case GRAVITY -> "Let the colours fall to the right.";
        };
    }
}
