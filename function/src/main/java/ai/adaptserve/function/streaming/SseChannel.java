package ai.adaptserve.function.streaming;

import ai.adaptserve.model.generate.StreamHandoff;
import ai.adaptserve.model.generate.TokenListener;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * One server-sent-events response being written. Events are serialized by whoever sends them and written, each
 * flushed at once, by the stream's own writer thread ({@link StreamHandoff}), so a client that reads slowly holds up
 * only that thread, never the decode engine's. Thread-safe: the request's thread, a training's thread and the engine's
 * thread send. Once the client is gone (the connection closed, or a write failed) every write is skipped and {@link
 * #open()} is false; sending never throws. {@link #close()} before the response ends.
 */
public final class SseChannel implements AutoCloseable {

    /** The media type of the stream. */
    public static final String MEDIA_TYPE = "text/event-stream";

    private final OutputStream out;
    private final BooleanSupplier connectionClosed;
    private final ObjectMapper json;
    private final StreamHandoff<String> frames;
    private volatile boolean failed;

    /**
     * @param out the response body
     * @param connectionClosed whether the client's connection is closed (checked before each write)
     * @param json serializes event payloads
     * @param bufferEvents events that may wait unwritten before a token sent with {@link #offerEvent} or {@link
     *     #offerData} is refused ({@code adaptserve.engine.stream-buffer-events})
     */
    public SseChannel(OutputStream out, BooleanSupplier connectionClosed, ObjectMapper json, int bufferEvents) {
        this.out = out;
        this.connectionClosed = connectionClosed;
        this.json = json;
        this.frames = new StreamHandoff<>("adaptserve-sse", bufferEvents, this::write);
    }

    /** Whether the client is still there, as far as this stream knows. */
    public boolean open() {
        return !failed && frames.open() && !connectionClosed.getAsBoolean();
    }

    /** Whether a token found the buffer full: the client read too slowly and its generation was cancelled. */
    public boolean overflowed() {
        return frames.overflowed();
    }

    /** Why a refused {@link #offerEvent} or {@link #offerData} ends the generation: a slow client, or one gone. */
    public TokenListener.GenerationCancelled cancellation() {
        return frames.cancellation();
    }

    /**
     * Sends {@code event: <name>} with {@code payload} as JSON data, waiting for room in the buffer (the request's own
     * threads); false if the client is gone.
     */
    public boolean event(String name, Object payload) {
        return send("event: " + name + "\ndata: " + toJson(payload) + "\n\n");
    }

    /** Sends an unnamed event whose data is {@code payload} as JSON, waiting for room; false if the client is gone. */
    public boolean data(Object payload) {
        return send("data: " + toJson(payload) + "\n\n");
    }

    /** Sends an unnamed event whose data is {@code text} as it is ({@code [DONE]}); false if the client is gone. */
    public boolean rawData(String text) {
        return send("data: " + text + "\n\n");
    }

    /**
     * As {@link #event}, never waiting (the engine's thread): false if the client is gone or the buffer is full. The
     * payload must be plain values that nobody changes afterwards: it is read on the writer's thread.
     */
    public boolean offerEvent(String name, Object payload) {
        return open() && frames.offer("event: " + name + "\ndata: " + toJson(payload) + "\n\n");
    }

    /** As {@link #data}, never waiting: false if the client is gone or the buffer is full. */
    public boolean offerData(Object payload) {
        return open() && frames.offer("data: " + toJson(payload) + "\n\n");
    }

    private boolean send(String frame) {
        return open() && frames.put(frame);
    }

    /** On the writer's thread: one frame written and flushed; false once the client is gone. */
    private boolean write(String frame) {
        if (!open()) {
            return false;
        }
        try {
            out.write(frame.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException | UncheckedIOException e) {
            // The client went away: nobody reads what follows.
            failed = true;
            return false;
        }
    }

    /** Waits until every event sent so far is written (or the client is gone); the response may then end. */
    @Override
    public void close() {
        frames.close();
    }

    private String toJson(Object payload) {
        try {
            return json.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event could not be serialized", e);
        }
    }
}
