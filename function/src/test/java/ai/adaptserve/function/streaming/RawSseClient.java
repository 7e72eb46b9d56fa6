package ai.adaptserve.function.streaming;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * A client on a plain socket that can hang up in the middle of a stream (to test that the server notices). Speaks
 * just enough HTTP/1.1: one POST, the status line and headers skipped, the chunked body read as lines.
 */
public final class RawSseClient implements AutoCloseable {

    private final Socket socket;
    private final BufferedReader reader;

    public RawSseClient(URI base, String path, String json) throws IOException {
        socket = new Socket(base.getHost(), base.getPort());
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                        + "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: "
                        + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String status = reader.readLine();
        if (status == null || !status.contains(" 200 ")) {
            throw new IOException("unexpected status: " + status);
        }
        for (String line = reader.readLine(); line != null && !line.isEmpty(); line = reader.readLine()) {
            // headers
        }
    }

    /** The events; chunk-size lines of the chunked encoding are skipped (they are hex digits alone on a line). */
    public Iterator<String> lines() {
        return reader.lines().filter(l -> !l.matches("[0-9a-fA-F]+")).iterator();
    }

    /** Hangs up at once. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
