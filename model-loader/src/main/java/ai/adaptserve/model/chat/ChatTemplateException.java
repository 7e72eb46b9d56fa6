package ai.adaptserve.model.chat;

/**
 * A chat template could not be loaded or rendered. The message names the template's source (the checkpoint file)
 * and says what went wrong in one line; it never carries an engine stack trace. {@link #reason()} tells a caller
 * whose fault it is: the conversation's ({@link Reason#REJECTED}) or the template's (the others).
 */
public final class ChatTemplateException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Why rendering (or loading) failed. */
    public enum Reason {
        /**
         * The template refused the conversation with {@code raise_exception(...)} (for example roles that do not
         * alternate): a problem with the request, not with the model.
         */
        REJECTED,
        /** The template (or its tokenizer_config.json) is malformed or uses what the engine does not provide. */
        INVALID_TEMPLATE,
        /** The rendered prompt grew past the output limit. */
        OUTPUT_TOO_LARGE,
        /** Rendering ran past the time limit. */
        TIMEOUT
    }

    private final Reason reason;
    private final String source;

    ChatTemplateException(Reason reason, String source, String message) {
        super(source + ": " + message);
        this.reason = reason;
        this.source = source;
    }

    ChatTemplateException(Reason reason, String source, String message, Throwable cause) {
        super(source + ": " + message, cause);
        this.reason = reason;
        this.source = source;
    }

    public Reason reason() {
        return reason;
    }

    /** Where the template came from (a file path, or {@code built-in chat template}). */
    public String source() {
        return source;
    }
}
