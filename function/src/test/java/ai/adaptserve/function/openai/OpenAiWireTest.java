package ai.adaptserve.function.openai;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.ModelReady;
import ai.adaptserve.function.streaming.SseEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenAI routes' wire format read as raw JSON and raw server-sent events, where the client library hides it. */
@QuarkusTest
class OpenAiWireTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    @Test
    void error_hasExactlyOpenAisFields_namingTheParam() throws Exception {
        String body = given().contentType(ContentType.JSON)
                .body(Map.of("model", "base", "messages", List.of(Map.of("role", "user", "content", "hi")), "n", 99))
                .when()
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .extract()
                .asString();
        JsonNode error = JSON.readTree(body).get("error");
        Set<String> fields = new java.util.HashSet<>();
        error.fieldNames().forEachRemaining(fields::add);
        assertEquals(Set.of("message", "type", "param", "code"), fields);
        assertEquals("n", error.get("param").asText());
        assertEquals("invalid_request_error", error.get("type").asText());
        assertTrue(error.get("message").asText().contains("n must be"), error.toString());
    }

    @Test
    void unsupportedOpenAiField_isRefusedNamingIt_notIgnored() {
        given().contentType(ContentType.JSON)
                .body(Map.of(
                        "model", "base",
                        "messages", List.of(Map.of("role", "user", "content", "hi")),
                        "tools", List.of(Map.of("type", "function"))))
                .when()
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("unsupported"))
                .body("error.param", equalTo("tools"));
        given().contentType(ContentType.JSON)
                .body(Map.of("model", "base", "prompt", "x", "max_tokens", 1, "color", "red"))
                .when()
                .post("/v1/completions")
                .then()
                .statusCode(400)
                .body("error.param", equalTo("color"));
    }

    @Test
    void chatMessage_withoutContent_names_messages0content() {
        given().contentType(ContentType.JSON)
                .body(Map.of("model", "base", "messages", List.of(Map.of("role", "user"))))
                .when()
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.param", equalTo("messages[0].content"));
    }

    @Test
    void completionsStream_endsWithDone_andTextPiecesMakeTheAnswer() throws Exception {
        Map<String, Object> request = Map.of(
                "model", "base", "prompt", "abc", "max_tokens", 6, "temperature", 0, "adapter", "none", "logprobs", 2);
        String whole = given().contentType(ContentType.JSON)
                .body(request)
                .when()
                .post("/v1/completions")
                .then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices", hasSize(1))
                .body("choices[0].logprobs.tokens", hasSize(6))
                .body("choices[0].logprobs.top_logprobs[0].size()", equalTo(2))
                .body("choices[0].finish_reason", equalTo("length"))
                .body("adaptserve.adapter.kind", equalTo("none"))
                .extract()
                .path("choices[0].text");

        Map<String, Object> streamed = new java.util.HashMap<>(request);
        streamed.put("stream", true);
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(base.resolve("/v1/completions"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(streamed)))
                                .build(),
                        HttpResponse.BodyHandlers.ofLines());
        List<SseEvent> events;
        try (Stream<String> lines = response.body()) {
            events = SseEvent.all(lines.iterator());
        }
        assertEquals("[DONE]", events.getLast().data());
        StringBuilder text = new StringBuilder();
        int tokens = 0;
        String finish = null;
        for (SseEvent e : events.subList(0, events.size() - 1)) {
            assertEquals("message", e.name());
            JsonNode chunk = JSON.readTree(e.data());
            assertEquals("text_completion", chunk.get("object").asText());
            JsonNode choice = chunk.get("choices").get(0);
            text.append(choice.get("text").asText());
            if (!choice.get("logprobs").isNull()) {
                tokens += choice.get("logprobs").get("tokens").size();
            }
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertEquals(whole, text.toString());
        assertEquals(6, tokens);
        assertEquals("length", finish);
    }

    @Test
    void chatLogprobs_chosenTokenAmongTheTopAlternatives_andNotAbove() {
        Map<String, Object> request = Map.of(
                "model",
                "base",
                "messages",
                List.of(Map.of("role", "user", "content", "abc")),
                "max_tokens",
                3,
                "temperature",
                0,
                "adapter",
                "none",
                "logprobs",
                true,
                "top_logprobs",
                3);
        io.restassured.path.json.JsonPath r = given().contentType(ContentType.JSON)
                .body(request)
                .when()
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("object", equalTo("chat.completion"))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.refusal", nullValue())
                .body("choices[0].logprobs.content[0].top_logprobs", hasSize(3))
                .extract()
                .jsonPath();
        // Greedy decoding: each chosen token is the most likely one, so it heads its own top list.
        List<Map<String, Object>> content = r.getList("choices[0].logprobs.content");
        for (Map<String, Object> entry : content) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> top = (List<Map<String, Object>>) entry.get("top_logprobs");
            assertEquals(
                    ((Number) entry.get("logprob")).doubleValue(),
                    ((Number) top.get(0).get("logprob")).doubleValue(),
                    1e-9);
            assertTrue(((Number) top.get(0).get("logprob")).doubleValue()
                    >= ((Number) top.get(1).get("logprob")).doubleValue());
        }
    }

    @Test
    void unknownModel_is404_modelNotFound() {
        given().contentType(ContentType.JSON)
                .body(Map.of("model", "expert:no-such-family", "prompt", "x"))
                .when()
                .post("/v1/completions")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("model_not_found"))
                .body("error.message", containsString("GET /v1/models"));
    }
}
