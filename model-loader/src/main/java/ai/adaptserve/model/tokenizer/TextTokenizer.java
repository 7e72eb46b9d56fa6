package ai.adaptserve.model.tokenizer;

/** Text to token ids and back. Implementations are thread-safe. */
public interface TextTokenizer extends AutoCloseable {

    /** Token ids of {@code text}; with {@code addBos} the model's beginning-of-sequence token comes first. */
    int[] encode(String text, boolean addBos);

    /** The text of {@code ids}, special tokens left out. Incomplete UTF-8 at the end decodes to U+FFFD. */
    String decode(int[] ids);

    @Override
    default void close() {}
}
