package ai.adaptserve.model.tasks;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * In-context prompts for few-shot tasks, in {@value #PHRASINGS} phrasings. A prompt ends exactly where the answer
 * starts; the answer is the task's output followed by {@link #TERMINATOR} ({@code "\n"}), which is also the stop
 * string for decoding. Outputs never contain a newline.
 *
 * <table>
 *   <caption>Phrasings (shown with one demonstration; without demos only the last line is kept)</caption>
 *   <tr><th>#</th><th>name</th><th>prompt</th></tr>
 *   <tr><td>0</td><td>generic</td><td>{@code in: abc\nout: cba\nin: hello\nout: }</td></tr>
 *   <tr><td>1</td><td>arrow</td><td>{@code reverse: abc -> cba; hello -> }</td></tr>
 *   <tr><td>2</td><td>instruction</td><td>{@code Reverse the text.\nabc => cba\nhello => }</td></tr>
 *   <tr><td>3</td><td>qa</td><td>{@code Task: reverse\nQ: abc\nA: cba\nQ: hello\nA: }</td></tr>
 * </table>
 *
 * <p>The generic phrasing names no family: it is the format for learning from the demonstrations alone. The others
 * name the family and its scalar parameters ({@code rotate 2}, {@code recolour 3>7}); a task without a training
 * family (novel, or unknown) is called {@code task} with the instruction "Find the rule in the examples.", so its
 * prompts carry no hint beyond the demos. A substitution table is never written out: it is learnt from demos.
 * With at most 4 demonstrations of the generated sizes a prompt stays within {@value #MAX_DEMO_PROMPT_BYTES} bytes.
 */
public final class PromptFormat {
    /** Ends every answer; use it as the stop string. */
    public static final String TERMINATOR = "\n";
    /** Number of phrasings; valid indices are 0 to {@code PHRASINGS - 1}. */
    public static final int PHRASINGS = 4;

    public static final int GENERIC = 0;
    public static final int ARROW = 1;
    public static final int INSTRUCTION = 2;
    public static final int QA = 3;
    /** Budget of a prompt with demonstrations, in UTF-8 bytes (the built-in model's context is 256–512 bytes). */
    public static final int MAX_DEMO_PROMPT_BYTES = 200;

    private static final String UNKNOWN_TAG = "task";
    private static final String UNKNOWN_INSTRUCTION = "Find the rule in the examples.";

    private PromptFormat() {}

    public static String phrasingName(int phrasing) {
        return switch (phrasing) {
            case GENERIC -> "generic";
            case ARROW -> "arrow";
            case INSTRUCTION -> "instruction";
            case QA -> "qa";
            default -> throw new IllegalArgumentException("phrasing must be 0.." + (PHRASINGS - 1) + ": " + phrasing);
        };
    }

    /** The prompt for {@code task}'s test input, with or without its demonstrations. */
    public static String render(FewShotTask task, boolean withDemos, int phrasing) {
        return render(task.family(), task.params(), withDemos ? task.examples() : List.of(), task.input(), phrasing);
    }

    /** The prompt for {@code input} after {@code demos} (may be empty), for a task of {@code family} (may be null). */
    public static String render(
            String family, Map<String, String> params, List<FewShotTask.Example> demos, String input, int phrasing) {
        StringBuilder out = new StringBuilder();
        switch (phrasing) {
            case GENERIC -> {
                for (FewShotTask.Example e : demos) {
                    out.append("in: ")
                            .append(e.input())
                            .append("\nout: ")
                            .append(e.output())
                            .append('\n');
                }
                out.append("in: ").append(input).append("\nout: ");
            }
            case ARROW -> {
                out.append(tag(family, params)).append(": ");
                for (FewShotTask.Example e : demos) {
                    out.append(e.input()).append(" -> ").append(e.output()).append("; ");
                }
                out.append(input).append(" -> ");
            }
            case INSTRUCTION -> {
                out.append(instruction(family, params)).append('\n');
                for (FewShotTask.Example e : demos) {
                    out.append(e.input()).append(" => ").append(e.output()).append('\n');
                }
                out.append(input).append(" => ");
            }
            case QA -> {
                out.append("Task: ").append(tag(family, params)).append('\n');
                for (FewShotTask.Example e : demos) {
                    out.append("Q: ")
                            .append(e.input())
                            .append("\nA: ")
                            .append(e.output())
                            .append('\n');
                }
                out.append("Q: ").append(input).append("\nA: ");
            }
            default -> phrasingName(phrasing);
        }
        return out.toString();
    }

    /** The answer in generated text: everything before the first terminator (all of it if there is none). */
    public static String answer(String generated) {
        int end = generated.indexOf(TERMINATOR);
        return end < 0 ? generated : generated.substring(0, end);
    }

    /** What the model should produce after {@link #render}: the output and the terminator. */
    public static String completion(FewShotTask task) {
        return task.output() + TERMINATOR;
    }

    /**
     * Whether the prompt holds what the answer needs: with demonstrations always (the generator guarantees it);
     * without, only a phrasing that names a training family other than {@code substitute}.
     */
    public static boolean answerable(FewShotTask task, boolean withDemos, int phrasing) {
        phrasingName(phrasing);
        if (withDemos && !task.examples().isEmpty()) {
            return true;
        }
        Optional<TaskFamily> family = task.trainingFamily();
        return phrasing != GENERIC && family.isPresent() && family.get() != TaskFamily.SUBSTITUTE;
    }

    /** The short name of the task in prompts: {@code reverse}, {@code rotate 2}, {@code recolour 3>7}, or {@code task}. */
    public static String tag(String family, Map<String, String> params) {
        Optional<TaskFamily> known = TaskFamily.byLabel(family);
        if (known.isEmpty()) {
            return UNKNOWN_TAG;
        }
        return switch (known.get()) {
            case ROTATE, CAESAR, SHIFT -> params.containsKey("k") ? family + " " + params.get("k") : family;
            case RECOLOUR ->
                params.containsKey("from") && params.containsKey("to")
                        ? family + " " + params.get("from") + ">" + params.get("to")
                        : family;
            default -> family;
        };
    }

    /** A one-sentence instruction for the task. */
    public static String instruction(String family, Map<String, String> params) {
        Optional<TaskFamily> known = TaskFamily.byLabel(family);
        if (known.isEmpty()) {
            return UNKNOWN_INSTRUCTION;
        }
        String k = params.get("k");
        return switch (known.get()) {
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
