package ai.adaptserve.function.streaming;

import java.util.List;

/**
 * Turns one sample's completion-so-far into the pieces a stream may send: only text that the finished completion
 * will still begin with. Held back until the next token: a tail that could be the start of a stop string (the
 * finished text is cut before it) and a trailing U+FFFD (a character whose UTF-8 bytes have not all been generated
 * yet). Not thread-safe: one per sample, on the decoding thread.
 */
public final class TextDeltas {

    private static final char REPLACEMENT = '\uFFFD';

    private final List<String> stop;
    private int sent;

    /** @param stop the sample's stop strings */
    public TextDeltas(List<String> stop) {
        this.stop = List.copyOf(stop);
    }

    /**
     * The new text to send, possibly empty.
     *
     * @param text the completion so far (without a stop string that ended it)
     * @param finished whether {@code text} is the final completion
     */
    public String next(String text, boolean finished) {
        int stable = finished ? text.length() : stableLength(text);
        if (stable <= sent) {
            return "";
        }
        String delta = text.substring(sent, stable);
        sent = stable;
        return delta;
    }

    /** Everything sent so far, in characters. */
    public int sent() {
        return sent;
    }

    private int stableLength(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == REPLACEMENT) {
            end--;
        }
        int hold = 0;
        for (String s : stop) {
            // The longest proper prefix of s that the text ends with.
            for (int k = Math.min(s.length() - 1, end); k > hold; k--) {
                if (text.startsWith(s.substring(0, k), end - k)) {
                    hold = k;
                    break;
                }
            }
        }
        return Math.max(0, end - hold);
    }
}
