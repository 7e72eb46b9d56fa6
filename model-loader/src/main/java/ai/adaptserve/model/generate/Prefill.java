package ai.adaptserve.model.generate;

import ai.adaptserve.model.llama.DecodeSession;
import ai.adaptserve.model.llama.KvSlots;

/**
 * One prompt run through the base model once, keeping everything a later reader needs: the KV cache (in a one-row
 * {@link DecodeSession}), the next-token logits and the final-normed hidden states of every position. The router
 * reads the hidden states; generation on the base model decodes on from the cache and the logits instead of running
 * the prompt again ({@link BatchGenerator#generate(Prefill, java.util.List)}), once. It was computed without any
 * adapter, so it is only valid for answering with the base model: an adapter (an SVF expert's z-vector rescales the
 * weights, a LoRA adds to them) changes every layer's keys and values, and such an answer needs its own prefill.
 *
 * <p>Owns native memory: close it, whether or not it was generated from. Not thread-safe; one request owns it.
 */
public final class Prefill implements AutoCloseable {
    private final BatchGenerator maker;
    private final PromptTokens prompt;
    private final DecodeSession session;
    private final float[] logits;
    private final float[] hidden;
    private boolean taken;
    private boolean closed;

    Prefill(BatchGenerator maker, PromptTokens prompt, DecodeSession session, float[] logits, float[] hidden) {
        this.maker = maker;
        this.prompt = prompt;
        this.session = session;
        this.logits = logits;
        this.hidden = hidden;
    }

    /** The prompt that was run. */
    public PromptTokens prompt() {
        return prompt;
    }

    /**
     * The final-normed hidden states (what the output head reads), {@code prompt().length()} positions of
     * {@code hidden size} values each, position-major; a copy.
     */
    public float[] hiddenStates() {
        return hidden.clone();
    }

    /** Whether generation has decoded on from it already (it then holds more than the prompt). */
    public boolean used() {
        return taken;
    }

    /** Whether {@code generator} made it (a prefill is only valid for the weights that ran it). */
    public boolean madeBy(BatchGenerator generator) {
        return generator == maker;
    }

    /** The session, handed over once to the generator that made it. */
    DecodeSession take(BatchGenerator taker) {
        if (!madeBy(taker)) {
            throw new IllegalArgumentException("this prefill was made by another model");
        }
        if (taken || closed) {
            throw new IllegalStateException("a prefill is generated from once, before it is closed");
        }
        taken = true;
        return session;
    }

    /**
     * Copies the prompt's keys and values into {@code slot} of {@code slots} for a decode engine, which decodes on from
     * them; returns the next-token logits (a copy). Uses the prefill up, like generating from it; the caller still
     * closes it.
     */
    public float[] copyInto(KvSlots slots, int slot) {
        if (taken || closed) {
            throw new IllegalStateException("a prefill is generated from once, before it is closed");
        }
        taken = true;
        session.copyInto(slots, slot);
        return logits.clone();
    }

    float[] logits() {
        return logits;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            session.close();
        }
    }
}
