package ai.adaptserve.function.openai;

import ai.adaptserve.function.generation.GenerateResponse;
import ai.adaptserve.function.generation.GenerationObserver;
import ai.adaptserve.function.streaming.SseChannel;
import ai.adaptserve.function.streaming.TextDeltas;
import ai.adaptserve.model.generate.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A streaming chat or text completion in OpenAI's chunk shape: for chat a first chunk per choice with the role, then
 * chunks of new text (each choice's pieces concatenate to its text), a chunk per choice with its {@code
 * finish_reason}, with {@code include_usage} a last chunk with no choices and the usage, then {@code data: [DONE]}.
 * Chunks of tokens are made on the engine's thread (log-probabilities read from the logits during the call) and handed
 * to the stream's writer without waiting: a token after the client has gone, or while {@code
 * adaptserve.engine.stream-buffer-events} events wait unread, cancels the generation.
 */
final class CompletionStream implements GenerationObserver {

    private final SseChannel channel;
    private final Header header;
    private final boolean chat;
    private final int choices;
    private final boolean logprobs;
    private final int top;
    private final IntFunction<String> tokenText;

    /** What every chunk repeats. */
    record Header(String id, long created, String model, String systemFingerprint) {}

    CompletionStream(
            SseChannel channel,
            Header header,
            boolean chat,
            int choices,
            boolean logprobs,
            int top,
            IntFunction<String> tokenText) {
        this.channel = channel;
        this.header = header;
        this.chat = chat;
        this.choices = choices;
        this.logprobs = logprobs;
        this.top = top;
        this.tokenText = tokenText;
    }

    @Override
    public void adapted(GenerateResponse.Adapter adapter) {
        if (chat) {
            for (int i = 0; i < choices; i++) {
                send(i, new Completions.Delta("assistant", ""), null, null, 0);
            }
        }
    }

    @Override
    public TokenListener sample(int index, List<String> stop) {
        TextDeltas deltas = new TextDeltas(stop);
        List<TokenLogprobs.Entry> pending = new ArrayList<>();
        return t -> {
            if (logprobs) {
                pending.add(TokenLogprobs.of(t.id(), t.logits(), top, tokenText));
            }
            int offset = deltas.sent();
            String delta = deltas.next(t.text(), t.finish() != null);
            boolean open = channel.open() && !channel.overflowed();
            if (!delta.isEmpty() && open) {
                open = offer(index, new Completions.Delta(null, delta), drain(pending), null, offset);
            }
            if (t.finish() != null && open) {
                open = offer(
                        index,
                        new Completions.Delta(null, null),
                        drain(pending),
                        ChoiceRecorder.finishReason(t.finish()),
                        deltas.sent());
            }
            if (!open) {
                throw channel.cancellation();
            }
        };
    }

    /** After the generation: the usage chunk (if asked for) and {@code [DONE]}. */
    void finish(GenerateResponse response, boolean includeUsage) {
        if (includeUsage) {
            Completions.Usage usage = Completions.Usage.of(response);
            if (chat) {
                channel.data(new Completions.ChatChunk(
                        header.id(),
                        "chat.completion.chunk",
                        header.created(),
                        header.model(),
                        header.systemFingerprint(),
                        List.of(),
                        usage));
            } else {
                channel.data(new Completions.TextChunk(
                        header.id(),
                        "text_completion",
                        header.created(),
                        header.model(),
                        header.systemFingerprint(),
                        List.of(),
                        usage));
            }
        }
        channel.rawData("[DONE]");
    }

    private static List<TokenLogprobs.Entry> drain(List<TokenLogprobs.Entry> pending) {
        if (pending.isEmpty()) {
            return null;
        }
        List<TokenLogprobs.Entry> out = List.copyOf(pending);
        pending.clear();
        return out;
    }

    /** One choice's chunk, waiting for room in the stream's buffer (the request's thread). */
    private boolean send(
            int index, Completions.Delta delta, List<TokenLogprobs.Entry> entries, String finish, int textOffset) {
        return channel.data(chunk(index, delta, entries, finish, textOffset));
    }

    /** One choice's chunk, handed off without waiting (the engine's thread). */
    private boolean offer(
            int index, Completions.Delta delta, List<TokenLogprobs.Entry> entries, String finish, int textOffset) {
        return channel.offerData(chunk(index, delta, entries, finish, textOffset));
    }

    private Object chunk(
            int index, Completions.Delta delta, List<TokenLogprobs.Entry> entries, String finish, int textOffset) {
        if (chat) {
            Completions.ChunkChoice choice = new Completions.ChunkChoice(
                    index, delta, entries == null ? null : new Completions.ChatLogprobs(entries), finish);
            return new Completions.ChatChunk(
                    header.id(),
                    "chat.completion.chunk",
                    header.created(),
                    header.model(),
                    header.systemFingerprint(),
                    List.of(choice),
                    null);
        }
        Completions.TextChoice choice = new Completions.TextChoice(
                index,
                delta.content() == null ? "" : delta.content(),
                entries == null ? null : Completions.TextLogprobs.of(entries, textOffset),
                finish);
        return new Completions.TextChunk(
                header.id(),
                "text_completion",
                header.created(),
                header.model(),
                header.systemFingerprint(),
                List.of(choice),
                null);
    }
}
