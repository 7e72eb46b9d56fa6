package ai.adaptserve.function.adaptation;

/** The string metadata the service stores with the adapters it trains, and its values. */
final class AdapterMetadata {
    private AdapterMetadata() {}

    /** The prompt format the adapter was trained on ({@value #FORMAT_IN_OUT} or {@value #FORMAT_PLAIN}). */
    static final String PROMPT_FORMAT = "prompt_format";
    /** Prompts {@code in: <x>\nout: }, answers end with a line break. */
    static final String FORMAT_IN_OUT = "in-out";
    /** Prompts as they are. */
    static final String FORMAT_PLAIN = "plain";
    /** What the adapter was trained on ({@code examples} or {@code document}). */
    static final String TRAINED_ON = "trained_on";
    /** The trainer's summary (steps, losses, time, why it stopped), JSON. */
    static final String TRAINING = "training";
}
