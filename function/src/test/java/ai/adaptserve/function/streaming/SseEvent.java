package ai.adaptserve.function.streaming;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One server-sent event as a client reads it (the {@code text/event-stream} format: {@code event:} and {@code data:}
 * lines, a blank line ending the event); the name is {@code message} when the event has none.
 *
 * @param name the event's name
 * @param data its data lines, joined by line breaks
 */
public record SseEvent(String name, String data) {

    /** The next event from {@code lines}, or null at the end of the stream. */
    public static SseEvent next(Iterator<String> lines) {
        String name = "message";
        List<String> data = new ArrayList<>();
        boolean any = false;
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.isEmpty()) {
                if (any) {
                    return new SseEvent(name, String.join("\n", data));
                }
                continue;
            }
            any = true;
            if (line.startsWith("event:")) {
                name = line.substring("event:".length()).strip();
            } else if (line.startsWith("data:")) {
                data.add(line.substring("data:".length()).stripLeading());
            }
        }
        return any ? new SseEvent(name, String.join("\n", data)) : null;
    }

    /** Every event until the end of the stream. */
    public static List<SseEvent> all(Iterator<String> lines) {
        List<SseEvent> out = new ArrayList<>();
        for (SseEvent e = next(lines); e != null; e = next(lines)) {
            out.add(e);
        }
        return out;
    }
}
