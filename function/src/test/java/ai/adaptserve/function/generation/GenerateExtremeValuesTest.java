package ai.adaptserve.function.generation;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.ModelReady;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Extreme but valid values on the real app and model: a tiny temperature or top_p decodes as greedy, the largest
 * max_tokens is served, and no answer carries NaN or Infinity (JSON has neither).
 */
@QuarkusTest
class GenerateExtremeValuesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "1, 2, 3, 4,";

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    /** The raw answer, checked for numbers JSON cannot carry, then parsed. */
    private static JsonNode generate(Map<String, Object> body) throws Exception {
        String raw = given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertFalse(raw.contains("NaN") || raw.contains("Infinity"), raw);
        JsonNode answer = JSON.readTree(raw);
        for (JsonNode c : answer.get("candidates")) {
            assertTrue(
                    c.get("score").isNumber() && Double.isFinite(c.get("score").asDouble()), raw);
        }
        assertTrue(answer.get("task").get("confidence").isNumber(), raw);
        return answer;
    }

    private static String greedy() throws Exception {
        return generate(Map.of("prompt", PROMPT, "max_tokens", 8, "temperature", 0))
                .get("text")
                .asText();
    }

    @Test
    void tinyTemperature_sameTextAsGreedy() throws Exception {
        // Given the greedy answer, and temperatures down to the smallest float (l / t overflows a float there)
        String greedy = greedy();
        for (double t : new double[] {1e-6, 1e-30, 1.4e-45}) {
            for (int seed : new int[] {1, 2, 3}) {
                // When the same prompt is sampled at that temperature
                JsonNode answer = generate(Map.of("prompt", PROMPT, "max_tokens", 8, "temperature", t, "seed", seed));

                // Then the text is the greedy one
                assertEquals(greedy, answer.get("text").asText(), "temperature " + t + ", seed " + seed);
            }
        }
    }

    @Test
    void tinyTopP_sameTextAsGreedy() throws Exception {
        // Given the greedy answer
        String greedy = greedy();
        for (int seed : new int[] {1, 2, 3}) {
            // When the prompt is sampled hot but with a nucleus that keeps only the most likely token
            JsonNode answer = generate(
                    Map.of("prompt", PROMPT, "max_tokens", 8, "temperature", 1.5, "top_p", 1e-9, "seed", seed));

            // Then the text is the greedy one
            assertEquals(greedy, answer.get("text").asText(), "seed " + seed);
        }
    }

    @Test
    void maxTokensAtItsLimit_served() throws Exception {
        // Given max_tokens at adaptserve.limits.max-tokens (1024 by default) and several hot samples
        JsonNode answer = generate(
                Map.of("prompt", "Once upon a time", "max_tokens", 1024, "temperature", 2.0, "samples", 2, "seed", 9));

        // Then it is served within its budget (and, checked in generate, with finite scores)
        int tokens = answer.get("usage").get("completion_tokens").asInt();
        assertTrue(tokens > 0 && tokens <= 2 * 1024, "completion tokens " + tokens);
    }
}
