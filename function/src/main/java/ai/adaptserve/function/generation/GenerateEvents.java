package ai.adaptserve.function.generation;

import ai.adaptserve.function.streaming.SseChannel;
import ai.adaptserve.function.streaming.TextDeltas;
import ai.adaptserve.model.generate.TokenListener;
import ai.adaptserve.model.train.TrainingListener;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The events of a streaming {@code POST /v1/generate}, as the request goes: {@code route}, {@code training} (each
 * step of a training the request started), {@code adapter}, {@code token} (new text of a sample), then {@code done}
 * or {@code error}, written by {@link GenerateResource}. Tokens and training steps are handed to the stream's writer
 * without waiting ({@link SseChannel#offerEvent}): a token after the client has gone, or while {@code
 * adaptserve.engine.stream-buffer-events} events wait unread, cancels the generation.
 */
final class GenerateEvents implements GenerationObserver {

    private final SseChannel channel;

    GenerateEvents(SseChannel channel) {
        this.channel = channel;
    }

    /**
     * @param step 1-based optimizer step (or CEM iteration) just finished
     * @param loss its loss
     * @param elapsedMs since the training started
     * @param phase what is trained ({@code lora}, {@code document-lora}, …)
     */
    record Training(
            int step,
            double loss,
            @JsonProperty("elapsed_ms") long elapsedMs,
            String phase) {}

    /**
     * @param sample which sample (0-based; with {@code samples} above 1 they interleave)
     * @param text the sample's new text; the pieces of a sample concatenate to its candidate's text
     */
    record Token(int sample, String text) {}

    @Override
    public void routed(GenerateResponse.Task task) {
        channel.event("route", task);
    }

    @Override
    public TrainingListener training() {
        // Never waits for the client: a training may serve other requests too. A step that finds the buffer full marks
        // the stream too slow, and its first token then cancels the generation.
        return p -> channel.offerEvent("training", new Training(p.step(), p.loss(), p.elapsedMs(), p.phase()));
    }

    @Override
    public void adapted(GenerateResponse.Adapter adapter) {
        channel.event("adapter", adapter);
    }

    @Override
    public TokenListener sample(int index, List<String> stop) {
        TextDeltas deltas = new TextDeltas(stop);
        return t -> {
            String delta = deltas.next(t.text(), t.finish() != null);
            // On the engine's thread: handed off, never written here, so a slow client stalls no other row.
            boolean open = delta.isEmpty()
                    ? channel.open() && !channel.overflowed()
                    : channel.offerEvent("token", new Token(index, delta));
            if (!open) {
                throw channel.cancellation();
            }
        };
    }
}
