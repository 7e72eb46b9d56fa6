package ai.adaptserve.model.prompt;

import java.util.List;
import java.util.Map;

/**
 * The one place prompts are written, for the service, the test-time trainers and the lab alike. A few-shot prompt
 * ends where the answer starts; the answer is the output followed by {@link #TERMINATOR}, which is also the stop
 * string when decoding. A document in context goes first, then a blank line, then the prompt.
 */
public final class PromptRenderer {
    /** Ends every few-shot answer; use it as the stop string. */
    public static final String TERMINATOR = "\n";
    /** Between a document in context and the prompt that follows it. */
    public static final String DOCUMENT_SEPARATOR = "\n\n";

    private PromptRenderer() {}

    /** The prompt for {@code input} after {@code demos} (may be empty), in {@code phrasing}. */
    public static String render(Phrasing phrasing, TaskDescription task, List<Demonstration> demos, String input) {
        StringBuilder out = new StringBuilder();
        phrasing.appendHeader(out, task);
        for (Demonstration d : demos) {
            phrasing.appendDemonstration(out, d);
        }
        phrasing.appendQuery(out, input);
        return out.toString();
    }

    /**
     * The service's format for a request with examples, and for a test-time-trained adapter: every demonstration
     * {@code in: x\nout: y\n}, then {@code in: <input>\nout: }.
     */
    public static String inOut(List<Demonstration> demos, String input) {
        return render(Phrasing.GENERIC, TaskDescription.UNKNOWN, demos, input);
    }

    /** {@code prompt} with {@code document} in context before it, or {@code prompt} alone when there is none. */
    public static String withDocument(String document, String prompt) {
        return document == null || document.isEmpty() ? prompt : document + DOCUMENT_SEPARATOR + prompt;
    }

    /** The answer in generated text: everything before the first terminator (all of it if there is none). */
    public static String answer(String generated) {
        int end = generated.indexOf(TERMINATOR);
        return end < 0 ? generated : generated.substring(0, end);
    }

    /** Appends {@code template} with each {@code {name}} replaced; values are never scanned for placeholders. */
    static void fill(StringBuilder out, String template, Map<String, String> values) {
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf('{', i);
            if (open < 0) {
                out.append(template, i, template.length());
                return;
            }
            int close = template.indexOf('}', open);
            out.append(template, i, open);
            String value = close < 0 ? null : values.get(template.substring(open + 1, close));
            if (value == null) {
                throw new IllegalStateException("template " + template + ": no value for the placeholder at " + open);
            }
            out.append(value);
            i = close + 1;
        }
    }
}
