package ai.adaptserve.model.chat;

import java.util.List;

/**
 * One turn of a conversation, as OpenAI's {@code messages} and Hugging Face chat templates see it.
 *
 * @param role {@code system}, {@code user} or {@code assistant}
 * @param content the text of the turn (may be empty, never null)
 */
public record ChatMessage(String role, String content) {
    public static final String SYSTEM = "system";
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";
    /** The roles a message may have. */
    public static final List<String> ROLES = List.of(SYSTEM, USER, ASSISTANT);

    /** Longest role text repeated in an error message; a client controls it. */
    private static final int MAX_ECHOED_ROLE = 40;

    public ChatMessage {
        if (role == null) {
            throw new IllegalArgumentException("a message needs a role (one of " + String.join(", ", ROLES) + ")");
        }
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException(
                    "message role '" + echo(role) + "' is not supported; use one of " + String.join(", ", ROLES));
        }
        if (content == null) {
            throw new IllegalArgumentException("the " + role + " message has no content");
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(ASSISTANT, content);
    }

    private static String echo(String role) {
        String shown = role.length() > MAX_ECHOED_ROLE ? role.substring(0, MAX_ECHOED_ROLE) + "…" : role;
        StringBuilder out = new StringBuilder(shown.length());
        shown.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }
}
