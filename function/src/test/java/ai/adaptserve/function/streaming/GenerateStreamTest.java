package ai.adaptserve.function.streaming;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.ModelReady;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Streaming {@code POST /v1/generate} read over a real socket, as a client sees it: the order of the events, that
 * {@code done} is the whole response, and that a client hanging up cancels its generation (counted in {@code
 * adaptserve_generation_seconds_count{outcome="cancelled"}}) while a training it started is still cached.
 */
@QuarkusTest
class GenerateStreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CANCELLED =
            Pattern.compile("adaptserve_generation_seconds_count\\{[^}]*outcome=\"cancelled\"[^}]*} ([0-9.eE+]+)");

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    /** Examples of a task no other request has sent: their adapter is trained by the request that sends them. */
    private static List<Map<String, String>> freshExamples() {
        String nonce = UUID.randomUUID().toString().substring(0, 6).replace('-', 'x');
        return List.of(
                Map.of("input", "ab" + nonce, "output", "ba"),
                Map.of("input", "cd", "output", "dc"),
                Map.of("input", "ef", "output", "fe"));
    }

    private List<SseEvent> stream(Map<String, Object> body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/generate"))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .timeout(Duration.ofMinutes(3))
                .build();
        HttpResponse<Stream<String>> response =
                HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        assertEquals(
                "text/event-stream",
                response.headers().firstValue("content-type").orElse(""));
        try (Stream<String> lines = response.body()) {
            return SseEvent.all(lines.iterator());
        }
    }

    @Test
    void stream_withExamples_routeTrainingAdapterTokensDone_inOrder() throws Exception {
        Map<String, Object> body = Map.of("prompt", "gh", "examples", freshExamples(), "max_tokens", 6, "stream", true);
        List<SseEvent> events = stream(body);
        List<String> names = events.stream().map(SseEvent::name).toList();

        // route, then each training step, then adapter, then tokens, then done; nothing else
        assertEquals("route", names.get(0), names.toString());
        int adapter = names.indexOf("adapter");
        assertTrue(adapter > 1, "training steps before the adapter: " + names);
        assertTrue(names.subList(1, adapter).stream().allMatch("training"::equals), names.toString());
        assertEquals("done", names.getLast(), names.toString());
        assertTrue(names.subList(adapter + 1, names.size() - 1).stream().allMatch("token"::equals), names.toString());

        JsonNode route = JSON.readTree(events.get(0).data());
        assertEquals("request", route.get("source").asText());
        int step = 0;
        for (SseEvent e : events.subList(1, adapter)) {
            JsonNode t = JSON.readTree(e.data());
            assertEquals(++step, t.get("step").asInt(), "steps count up from 1");
            assertTrue(
                    Double.isFinite(t.get("loss").asDouble()) && t.get("loss").asDouble() >= 0);
            assertTrue(t.get("elapsed_ms").asLong() >= 0);
        }
        JsonNode adapterEvent = JSON.readTree(events.get(adapter).data());
        assertEquals("trained", adapterEvent.get("tier").asText());

        // done is the whole response: it holds the adapter announced, and the tokens make up its text
        JsonNode done = JSON.readTree(events.getLast().data());
        assertEquals(adapterEvent, done.get("adapter"));
        assertEquals(route, done.get("task"));
        StringBuilder text = new StringBuilder();
        for (SseEvent e : events.subList(adapter + 1, events.size() - 1)) {
            JsonNode t = JSON.readTree(e.data());
            assertEquals(0, t.get("sample").asInt());
            text.append(t.get("text").asText());
        }
        assertEquals(done.get("text").asText(), text.toString());
        assertTrue(done.get("usage").get("completion_tokens").asInt() > 0);

        // the same request without stream: the same answer, from the adapter the stream trained
        Map<String, Object> plain = new java.util.HashMap<>(body);
        plain.remove("stream");
        String again = given().contentType(ContentType.JSON)
                .body(plain)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        JsonNode answer = JSON.readTree(again);
        assertEquals(done.get("text"), answer.get("text"));
        assertEquals(adapterEvent.get("id"), answer.get("adapter").get("id"));
        assertNotEquals("trained", answer.get("adapter").get("tier").asText());
    }

    @Test
    void stream_routedPrompt_routeAdapterTokensDone_noTraining() throws Exception {
        List<SseEvent> events =
                stream(Map.of("prompt", "rotate 3: yjglkz -> ", "max_tokens", 8, "temperature", 0, "stream", true));
        List<String> names = events.stream().map(SseEvent::name).toList();
        assertEquals(List.of("route", "adapter"), names.subList(0, 2));
        assertEquals("done", names.getLast());
        assertFalse(names.contains("training"));
        JsonNode done = JSON.readTree(events.getLast().data());
        // README's routed example: the router picks rotate and its expert answers lkzyjg
        assertEquals("rotate", done.get("task").get("label").asText());
        assertEquals("lkzyjg", done.get("text").asText());
    }

    @Test
    void stream_invalidRequest_isAnOrdinaryJsonError() {
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "x", "stream", true, "max_tokens", 0))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("error.message", org.hamcrest.Matchers.containsString("max_tokens"));
    }

    @Test
    void stream_clientHangsUpAfterFirstToken_generationCancelled() throws Exception {
        double before = cancelled();
        String body = JSON.writeValueAsString(
                Map.of("prompt", "a", "adapter", "none", "max_tokens", 400, "temperature", 1.0, "stream", true));
        try (RawSseClient client = new RawSseClient(base, "/v1/generate", body)) {
            Iterator<String> lines = client.lines();
            for (SseEvent e = SseEvent.next(lines); !e.name().equals("token"); e = SseEvent.next(lines)) {
                assertNotEquals("done", e.name());
            }
        }
        assertEquals(before + 1, awaitCancelled(before));
    }

    @Test
    void stream_clientHangsUpDuringTraining_trainingStillCached() throws Exception {
        Map<String, Object> request =
                Map.of("prompt", "gh", "examples", freshExamples(), "max_tokens", 400, "stream", true);
        double before = cancelled();
        try (RawSseClient client = new RawSseClient(base, "/v1/generate", JSON.writeValueAsString(request))) {
            Iterator<String> lines = client.lines();
            for (SseEvent e = SseEvent.next(lines); !e.name().equals("training"); e = SseEvent.next(lines)) {
                assertEquals("route", e.name());
            }
        }
        // The generation after the training is cancelled: the client is gone...
        assertEquals(before + 1, awaitCancelled(before));
        // ...and the training it started was finished and cached: the same examples now find the adapter.
        Map<String, Object> plain = new java.util.HashMap<>(request);
        plain.remove("stream");
        plain.put("max_tokens", 4);
        String tier = given().contentType(ContentType.JSON)
                .body(plain)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .extract()
                .path("adapter.tier");
        assertNotEquals("trained", tier);
    }

    private static double cancelled() {
        Matcher m = CANCELLED.matcher(given().when().get("/q/metrics").asString());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** The cancelled count once it has moved past {@code before} (bounded: 2 minutes). */
    private static double awaitCancelled(double before) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        double now = cancelled();
        while (now == before && System.nanoTime() < deadline) {
            Thread.sleep(50);
            now = cancelled();
        }
        return now;
    }
}
