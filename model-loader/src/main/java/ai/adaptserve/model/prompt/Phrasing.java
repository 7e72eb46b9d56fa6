package ai.adaptserve.model.prompt;

import java.util.Locale;
import java.util.Map;

/**
 * The ways a few-shot prompt can be written, each as three templates: a header, one line per demonstration, and the
 * query, which ends exactly where the answer starts. Placeholders are {@code {tag}} and {@code {instruction}} (from a
 * {@link TaskDescription}) and {@code {input}}, {@code {output}}.
 *
 * <table>
 *   <caption>Phrasings, shown with one demonstration</caption>
 *   <tr><th>phrasing</th><th>prompt</th></tr>
 *   <tr><td>generic</td><td>{@code in: abc\nout: cba\nin: hello\nout: }</td></tr>
 *   <tr><td>arrow</td><td>{@code reverse: abc -> cba; hello -> }</td></tr>
 *   <tr><td>instruction</td><td>{@code Reverse the text.\nabc => cba\nhello => }</td></tr>
 *   <tr><td>qa</td><td>{@code Task: reverse\nQ: abc\nA: cba\nQ: hello\nA: }</td></tr>
 * </table>
 *
 * <p>The generic phrasing names no task: it is the format for learning from the demonstrations alone, and the one the
 * service uses for a request's {@code examples}. The order of the constants is fixed: seeded data generation draws
 * phrasings by index.
 */
public enum Phrasing {
    GENERIC("", "in: {input}\nout: {output}\n", "in: {input}\nout: "),
    ARROW("{tag}: ", "{input} -> {output}; ", "{input} -> "),
    INSTRUCTION("{instruction}\n", "{input} => {output}\n", "{input} => "),
    QA("Task: {tag}\n", "Q: {input}\nA: {output}\n", "Q: {input}\nA: ");

    private final String header;
    private final String demonstration;
    private final String query;

    Phrasing(String header, String demonstration, String query) {
        this.header = header;
        this.demonstration = demonstration;
        this.query = query;
    }

    /** The lower-case name used in tables and reports: {@code generic}, {@code arrow}, … */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The phrasing at {@code index} of {@link #values()}. */
    public static Phrasing at(int index) {
        Phrasing[] all = values();
        if (index < 0 || index >= all.length) {
            throw new IllegalArgumentException("phrasing must be 0.." + (all.length - 1) + ": " + index);
        }
        return all[index];
    }

    void appendHeader(StringBuilder out, TaskDescription task) {
        PromptRenderer.fill(out, header, Map.of("tag", task.tag(), "instruction", task.instruction()));
    }

    void appendDemonstration(StringBuilder out, Demonstration d) {
        PromptRenderer.fill(out, demonstration, Map.of("input", d.input(), "output", d.output()));
    }

    void appendQuery(StringBuilder out, String input) {
        PromptRenderer.fill(out, query, Map.of("input", input));
    }
}
