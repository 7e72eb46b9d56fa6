package ai.adaptserve.model.generate;

/**
 * Hears each token of one prompt's generation as it is chosen, on the decoding thread; must return quickly (a listener
 * that writes to a client hands the token off through {@link StreamHandoff} instead of writing). Throwing
 * {@link GenerationCancelled} stops the whole batch (the decode session is closed as on any failure): that is how a
 * caller whose client went away cancels its generation.
 */
@FunctionalInterface
public interface TokenListener {

    /** Hears nothing. */
    TokenListener NONE = t -> {};

    void onToken(Token token);

    /**
     * One chosen token.
     *
     * @param id the token's id
     * @param logprob its log-probability under the temperature-scaled distribution (as {@link Generation#logprobs()})
     * @param text the completion so far, decoded, without a stop string that ended it
     * @param finish why generation ended with this token; null while it goes on
     * @param logits the row's raw next-token logits this token was chosen from; read them during the call only
     */
    record Token(int id, float logprob, String text, Generation.FinishReason finish, float[] logits) {}

    /** Thrown by a listener to stop generating. */
    final class GenerationCancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public GenerationCancelled(String message) {
            super(message, null, false, false);
        }
    }
}
