package ai.adaptserve.model.generate;

import java.util.Arrays;
import java.util.Objects;

/**
 * A prompt encoded once: its text and its token ids as the model sees them (with the beginning-of-sequence token
 * where the model uses one). Made by {@link TextGenerator#tokenize}; the request path limits, routes and generates
 * from it, so the prompt is never encoded twice. Immutable.
 *
 * @param text the prompt as rendered
 * @param ids its token ids, at least one
 */
public record PromptTokens(String text, int[] ids) {
    public PromptTokens {
        Objects.requireNonNull(text, "text");
        ids = ids.clone();
    }

    /** A copy of the ids. */
    @Override
    public int[] ids() {
        return ids.clone();
    }

    /** Number of tokens. */
    public int length() {
        return ids.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PromptTokens p && text.equals(p.text) && Arrays.equals(ids, p.ids);
    }

    @Override
    public int hashCode() {
        return 31 * text.hashCode() + Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return "PromptTokens[" + ids.length + " tokens]";
    }
}
