package ai.adaptserve.function.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every non-2xx answer is the API's JSON error, whichever layer produced it: the REST layer (404, 405, 406), our HTTP
 * guards (413, 414, 431), the JSON parser (400) and the HTTP decoder itself (a request line or headers past its 64 KiB
 * limits, a malformed request line or Content-Length: {@link DecoderErrors}, where Vert.x alone answers with an empty
 * body or none). Sent over a raw socket so that nothing in a client library shapes or refuses the request first.
 */
@QuarkusTest
class HttpErrorShapeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    static Stream<Arguments> requests() {
        return Stream.of(
                Arguments.of(
                        "unknown route", "GET /v1/nothing-here HTTP/1.1\r\nAccept: text/html\r\n", 404, "not_found"),
                Arguments.of("wrong method", "DELETE /v1/generate HTTP/1.1\r\n", 405, "method_not_allowed"),
                Arguments.of(
                        "not acceptable", "GET /v1/models HTTP/1.1\r\nAccept: text/html\r\n", 406, "not_acceptable"),
                Arguments.of(
                        "body too large",
                        "POST /v1/generate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n",
                        413,
                        "body_too_large"),
                Arguments.of(
                        "URI too long", "GET /v1/models?q=" + "a".repeat(9000) + " HTTP/1.1\r\n", 414, "uri_too_long"),
                Arguments.of(
                        "headers too large",
                        "GET /v1/models HTTP/1.1\r\nX-Padding: " + "b".repeat(20_000) + "\r\n",
                        431,
                        "headers_too_large"),
                Arguments.of(
                        "many headers",
                        "GET /v1/models HTTP/1.1\r\n" + "X-Many: cccccccccccccccccccc\r\n".repeat(1000),
                        431,
                        "headers_too_large"),
                Arguments.of(
                        "malformed JSON",
                        "POST /v1/generate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
                                + "{\"prompt\": ",
                        400,
                        "invalid_json"),
                Arguments.of(
                        "JSON nested too deeply",
                        "POST /v1/generate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 3000\r\n\r\n"
                                + "[".repeat(3000),
                        400,
                        "invalid_json"),
                Arguments.of(
                        "URI past the decoder's limit (100 KiB)",
                        "GET /v1/models?q=" + "a".repeat(100 << 10) + " HTTP/1.1\r\n",
                        414,
                        "uri_too_long"),
                Arguments.of(
                        "headers past the decoder's limit (100 KiB)",
                        "GET /v1/models HTTP/1.1\r\nX-Padding: " + "b".repeat(100 << 10) + "\r\n",
                        431,
                        "headers_too_large"),
                Arguments.of(
                        "headers past the decoder's limit (2 MiB)",
                        "GET /v1/models HTTP/1.1\r\nX-Padding: " + "b".repeat(2 << 20) + "\r\n",
                        431,
                        "headers_too_large"),
                Arguments.of(
                        "many headers past the decoder's limit",
                        "GET /v1/models HTTP/1.1\r\n" + "X-Many: cccccccccccccccccccc\r\n".repeat(5000),
                        431,
                        "headers_too_large"),
                Arguments.of("malformed request line", "GET /v1/models HTTP/9.x\r\n", 400, "invalid_request"),
                Arguments.of(
                        "malformed Content-Length",
                        "POST /v1/generate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 12ab\r\n",
                        400,
                        "invalid_request"),
                Arguments.of(
                        "malformed adapter id", "GET /v1/adapters/not-an-id HTTP/1.1\r\n", 400, "adapter_not_found"));
    }

    @ParameterizedTest(name = "{0} -> {2} {3}")
    @MethodSource("requests")
    void error_isJsonErrorShape(String what, String request, int status, String code) throws IOException {
        // Given a request that cannot be answered with 2xx
        String head = request.contains("\r\n\r\n") ? request : request + "\r\n";
        String withHost = head.replaceFirst("\r\n", "\r\nHost: localhost\r\nConnection: close\r\n");

        // When it is sent over a plain socket
        Answer answer = send(withHost.getBytes(StandardCharsets.ISO_8859_1));

        // Then the answer has the expected status and the API's JSON error body, and nothing else
        assertEquals(status, answer.status, answer.toString());
        assertTrue(answer.contentType.startsWith("application/json"), answer.toString());
        JsonNode body = JSON.readTree(answer.body);
        assertEquals(1, body.size(), answer.toString());
        JsonNode error = body.get("error");
        // AdaptServe's and OpenAI's error object in one: code, message, type, param
        assertEquals(4, error.size(), answer.toString());
        assertTrue(error.has("type") && error.has("param"), answer.toString());
        assertEquals(code, error.get("code").asText(), answer.toString());
        String message = error.get("message").asText();
        assertFalse(message.isBlank(), answer.toString());
        assertFalse(
                message.toLowerCase(Locale.ROOT).matches(".*(exception|java\\.|jackson|vertx|netty|`).*"),
                "message echoes internals: " + message);
    }

    private record Answer(int status, String contentType, String body) {}

    private Answer send(byte[] request) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // The server may answer and close before the whole request is written; read what it said.
            }
            return parse(readAll(socket.getInputStream()));
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        int n;
        try {
            while ((n = in.read(b)) != -1) {
                buf.write(b, 0, n);
                String so = buf.toString(StandardCharsets.UTF_8);
                int end = so.indexOf("\r\n\r\n");
                Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(so);
                if (end >= 0 && length.find() && buf.size() >= end + 4 + Integer.parseInt(length.group(1))) {
                    break;
                }
            }
        } catch (java.net.SocketException e) {
            // reset after the answer: keep what arrived
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    private static Answer parse(String raw) {
        int end = raw.indexOf("\r\n\r\n");
        assertTrue(end > 0, "no HTTP answer: " + raw);
        Iterator<String> lines = raw.substring(0, end).lines().iterator();
        int status = Integer.parseInt(lines.next().split(" ")[1]);
        String contentType = "";
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.toLowerCase(Locale.ROOT).startsWith("content-type:")) {
                contentType = line.substring("content-type:".length()).trim();
            }
        }
        return new Answer(status, contentType, raw.substring(end + 4));
    }
}
