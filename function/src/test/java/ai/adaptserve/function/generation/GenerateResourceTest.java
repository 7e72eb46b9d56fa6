package ai.adaptserve.function.generation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/generate} against the real app and the real built-in model. */
@QuarkusTest
class GenerateResourceTest {

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    @Test
    void generate_prompt_answerWithUsageAndTimings() {
        // Given a prompt and a small token budget
        JsonPath answer = given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "The capital of France is", "max_tokens", 8))
                // When it is sent
                .when()
                .post("/v1/generate")
                // Then the answer is text, within budget, with the contract's other parts
                .then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .body("text", instanceOf(String.class))
                .body("text", not(emptyString()))
                .body("usage.prompt_tokens", greaterThan(0))
                .body("usage.completion_tokens", greaterThan(0))
                .body("usage.completion_tokens", lessThanOrEqualTo(8))
                // the built-in model has a router: the prompt was classified, and its expert used if it found one
                .body("task.source", equalTo("classifier"))
                .body("task.confidence", allOf(greaterThan(0.0f), lessThanOrEqualTo(1.0f)))
                .body("adapter.train_ms", equalTo(0))
                .body("candidates", hasSize(1))
                .body("candidates[0].votes", equalTo(1))
                .body("candidates[0].score", notNullValue())
                .extract()
                .jsonPath();
        // the parts are measured separately and rounded down: together they never exceed the whole request
        assertTrue(
                answer.getLong("timings_ms.total")
                        >= answer.getLong("timings_ms.route")
                                + answer.getLong("timings_ms.adapter")
                                + answer.getLong("timings_ms.generate"),
                answer.getString("timings_ms"));
        assertEquals(answer.getString("text"), answer.getString("candidates[0].text"));
        String label = answer.getString("task.label");
        if (label.equals("none")) {
            assertEquals("none", answer.getString("adapter.kind"));
            assertEquals(null, answer.getString("adapter.id"));
        } else {
            assertEquals("expert:" + label, answer.getString("adapter.id"));
            assertEquals("svf", answer.getString("adapter.kind"));
            assertEquals("memory", answer.getString("adapter.tier"));
        }
    }

    private static String text(Map<String, Object> body) {
        // When the request is sent, then it succeeds and its text is returned
        return given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .extract()
                .path("text");
    }

    @Test
    void generate_sameSeedWithTemperature_sameText() {
        // Given a sampled request with a seed
        Map<String, Object> body =
                Map.of("prompt", "Once upon a time", "max_tokens", 12, "temperature", 0.9, "seed", 1234);

        // When it is sent twice, then both answers are the same
        assertEquals(text(body), text(body));
    }

    @Test
    void generate_greedy_sameTextWhateverTheSeed() {
        // Given greedy requests that differ only in their seed
        Map<String, Object> first = Map.of("prompt", "1, 2, 3, 4,", "max_tokens", 8, "temperature", 0, "seed", 1);
        Map<String, Object> second = Map.of("prompt", "1, 2, 3, 4,", "max_tokens", 8, "temperature", 0, "seed", 2);

        // When both are sent, then the answers are the same
        assertEquals(text(first), text(second));
    }

    @Test
    void generate_threeSamples_threeCandidatesAndAChosenOne() {
        // Given a request for three sampled candidates
        var response = given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "Hello", "max_tokens", 6, "samples", 3, "temperature", 1.0, "seed", 7))
                // When it is sent
                .when()
                .post("/v1/generate")
                // Then there are three candidates, with votes and scores, and the text is one of them
                .then()
                .statusCode(200)
                .body("candidates", hasSize(3))
                .body("candidates.votes", everyItem(greaterThanOrEqualTo(1)))
                .body("candidates.score", everyItem(lessThanOrEqualTo(0.0f)))
                .body("usage.completion_tokens", lessThanOrEqualTo(18))
                .extract();
        List<String> texts = response.path("candidates.text");
        String text = response.path("text");
        assertTrue(texts.contains(text), text + " not among " + texts);
    }

    @Test
    void generate_logprobVote_chosenHasBestScore() {
        // Given three sampled candidates chosen by log-probability
        var response = given().contentType(ContentType.JSON)
                .body(Map.of(
                        "prompt",
                        "Hello",
                        "max_tokens",
                        6,
                        "samples",
                        3,
                        "temperature",
                        1.0,
                        "seed",
                        9,
                        "vote",
                        "logprob"))
                // When it is sent
                .when()
                .post("/v1/generate")
                // Then it succeeds
                .then()
                .statusCode(200)
                .extract();
        List<Float> scores = response.path("candidates.score");
        List<String> texts = response.path("candidates.text");
        int best = 0;
        for (int i = 1; i < scores.size(); i++) {
            if (scores.get(i) > scores.get(best)) {
                best = i;
            }
        }
        // And the text is the best-scoring candidate's
        assertEquals(texts.get(best), response.path("text"));
    }

    @Test
    void generate_stopAsStringOrArray_accepted() {
        // Given stop as a string, then as an array
        for (Object stop : List.of("\n", List.of("\n", "."))) {
            given().contentType(ContentType.JSON)
                    .body(Map.of("prompt", "Hi", "max_tokens", 4, "stop", stop))
                    // When it is sent
                    .when()
                    .post("/v1/generate")
                    // Then the text does not contain the stop string
                    .then()
                    .statusCode(200)
                    .body("text", not(containsString("\n")));
        }
    }

    @Test
    void generate_adaptationFieldsWithAdapterNone_inContextOnly() {
        // Given the adaptation fields with adapter none: one example and a document, used in context only
        given().contentType(ContentType.JSON)
                .body(Map.of(
                        "prompt", "cba",
                        "examples", List.of(Map.of("input", "abc", "output", "cba")),
                        "document", "A document.",
                        "task", "reverse",
                        "adapter", "none",
                        "max_tokens", 4,
                        "stream", false))
                // When it is sent
                .when()
                .post("/v1/generate")
                // Then it is answered without an adapter
                .then()
                .statusCode(200)
                .body("adapter.kind", equalTo("none"))
                .body("adapter.id", nullValue())
                .body("candidates", hasSize(1))
                .body("candidates[0].votes", equalTo(1))
                // the example and the document were in context: more prompt tokens than the prompt alone
                .body("usage.prompt_tokens", greaterThan(20));
    }
}
