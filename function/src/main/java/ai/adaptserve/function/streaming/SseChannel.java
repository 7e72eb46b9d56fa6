package ai.adaptserve.function.streaming;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * One server-sent-events response being written: each event is written and flushed at once. Thread-safe: a training
 * reports on its own thread while the request's thread waits. Once the client is gone (the connection closed, or a
 * write failed) every write is skipped and {@link #open()} is false; writing never throws.
 */
public final class SseChannel {

    /** The media type of the stream. */
    public static final String MEDIA_TYPE = "text/event-stream";

    private final OutputStream out;
    private final BooleanSupplier connectionClosed;
    private final ObjectMapper json;
    private volatile boolean failed;

    /**
     * @param out the response body
     * @param connectionClosed whether the client's connection is closed (checked before each write)
     * @param json serializes event payloads
     */
    public SseChannel(OutputStream out, BooleanSupplier connectionClosed, ObjectMapper json) {
        this.out = out;
        this.connectionClosed = connectionClosed;
        this.json = json;
    }

    /** Whether the client is still there, as far as this stream knows. */
    public boolean open() {
        return !failed && !connectionClosed.getAsBoolean();
    }

    /** Writes {@code event: <name>} with {@code payload} as JSON data; false if the client is gone. */
    public boolean event(String name, Object payload) {
        return write("event: " + name + "\ndata: " + toJson(payload) + "\n\n");
    }

    /** Writes an unnamed event whose data is {@code payload} as JSON; false if the client is gone. */
    public boolean data(Object payload) {
        return write("data: " + toJson(payload) + "\n\n");
    }

    /** Writes an unnamed event whose data is {@code text} as it is ({@code [DONE]}); false if the client is gone. */
    public boolean rawData(String text) {
        return write("data: " + text + "\n\n");
    }

    private synchronized boolean write(String frame) {
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

    private String toJson(Object payload) {
        try {
            return json.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event could not be serialized", e);
        }
    }
}
