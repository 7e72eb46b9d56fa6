package ai.adaptserve.function.generation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every invalid request is a JSON error naming the field; none needs the model, so these run while it loads too.
 */
@QuarkusTest
class GenerateValidationTest {

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @ParameterizedTest(name = "{0} -> {1} naming {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"max_tokens\": 4}                                   | invalid_request   | prompt",
                "{\"prompt\": \"   \"}                                 | invalid_request   | prompt",
                "{\"prompt\": 42}                                      | invalid_request   | prompt",
                "{\"prompt\": \"hi\", \"max_tokens\": 0}               | invalid_request   | max_tokens",
                "{\"prompt\": \"hi\", \"max_tokens\": 1000000}         | invalid_request   | max_tokens",
                "{\"prompt\": \"hi\", \"max_tokens\": \"ten\"}         | invalid_request   | max_tokens",
                "{\"prompt\": \"hi\", \"temperature\": -0.5}           | invalid_request   | temperature",
                "{\"prompt\": \"hi\", \"top_p\": 0}                    | invalid_request   | top_p",
                "{\"prompt\": \"hi\", \"top_p\": 1.5}                  | invalid_request   | top_p",
                "{\"prompt\": \"hi\", \"colour\": \"blue\"}            | invalid_request   | colour",
                "{\"prompt\": \"hi\", \"adapter\": \"sha256:feed\"}    | adapter_not_found | adapter",
                "{\"prompt\": \"hi\", \"samples\": 0}                  | invalid_request   | samples",
                "{\"prompt\": \"hi\", \"stop\": [1]}                   | invalid_request   | stop[0]",
                "{\"prompt\": \"hi\", \"seed\": \"abc\"}               | invalid_request   | seed",
                "{\"prompt\": \"hi\"                                   | invalid_json      | JSON",
            })
    void generate_invalid_400NamingField(String body, String code, String field) {
        // Given an invalid body
        given().contentType(ContentType.JSON)
                .body(body)
                // When it is sent
                .when()
                .post("/v1/generate")
                // Then it is refused with a JSON error that names the field
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("$", aMapWithSize(1))
                .body("error", aMapWithSize(4)) // code, message, and OpenAI's type and param
                .body("error.code", equalTo(code))
                .body("error.message", containsString(field));
    }

    @Test
    void generate_bodyPastLimit_413Json() {
        // Given a body of more than 1 MiB (the default limit), sent with its Content-Length
        String body = "{\"prompt\": \"" + "a".repeat(1_100_000) + "\"}";
        given().contentType(ContentType.JSON)
                .body(body)
                // When it is sent
                .when()
                .post("/v1/generate")
                // Then it is refused with 413 in the API's JSON shape
                .then()
                .statusCode(413)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("body_too_large"));
    }

    @Test
    void generate_largeAnnouncedBody_clientThatWritesItAllStillReads413() throws Exception {
        // Given a client that writes its whole 8 MiB body before it reads (far more than the socket buffers hold)
        byte[] body = new byte[8 << 20];
        java.util.Arrays.fill(body, (byte) 'a');
        String head = "POST /v1/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        String answer;
        try (java.net.Socket socket = new java.net.Socket("localhost", port)) {
            socket.setSoTimeout(30_000);
            var out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            // When it writes all of it (the server must read and discard it, not reset the connection mid-upload)
            for (int at = 0; at < body.length; at += 64 * 1024) {
                out.write(body, at, Math.min(64 * 1024, body.length - at));
            }
            out.flush();
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }

        // Then it reads the 413 in the API's JSON shape, and the server closed the connection after it
        org.junit.jupiter.api.Assertions.assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
        org.junit.jupiter.api.Assertions.assertTrue(answer.contains("\"body_too_large\""), answer);
    }

    @Test
    void generate_chunkedBodyPastLimit_413Json() throws Exception {
        // Given a body of more than 1 MiB sent in chunks, without a Content-Length
        byte[] body = ("{\"prompt\": \"" + "a".repeat((1 << 20) + 100) + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/generate"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build();

        // When it is sent
        HttpResponse<String> response;
        try (HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        }

        // Then it is refused with 413 in the API's JSON shape
        org.junit.jupiter.api.Assertions.assertEquals(413, response.statusCode(), response.body());
        org.junit.jupiter.api.Assertions.assertTrue(response.body().contains("\"body_too_large\""), response.body());
    }

    @Test
    void generate_promptPastLimit_413NamingPrompt() {
        // Given a prompt of more than 32768 characters in a body within the limit
        String body = "{\"prompt\": \"" + "a".repeat(32_769) + "\"}";
        given().contentType(ContentType.JSON)
                .body(body)
                // When it is sent
                .when()
                .post("/v1/generate")
                // Then it is refused with 413 naming the prompt
                .then()
                .statusCode(413)
                .body("error.code", equalTo("prompt_too_long"))
                .body("error.message", containsString("prompt"));
    }

    @Test
    void generate_wrongMethod_405Json() {
        // When /v1/generate is read with GET
        given().when()
                .get("/v1/generate")
                // Then the answer is a JSON error, not a page
                .then()
                .statusCode(405)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("method_not_allowed"));
    }

    @Test
    void unknownPath_404Json() {
        // When a path that does not exist is asked for, even by a browser
        given().accept("text/html")
                .when()
                .get("/v1/nothing-here")
                // Then the answer is a JSON error, not an HTML page
                .then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("not_found"));
    }

    @Test
    void generate_formEncodedJson_parsedAnyway() {
        // Given JSON sent as curl -d sends it (form-encoded content type) with an invalid field
        given().contentType("application/x-www-form-urlencoded")
                .body("{\"prompt\": \"hi\", \"samples\": 99}")
                // When it is sent
                .when()
                .post("/v1/generate")
                // Then it is read as JSON and refused naming the field
                .then()
                .statusCode(400)
                .body("error.message", containsString("samples"));
    }
}
