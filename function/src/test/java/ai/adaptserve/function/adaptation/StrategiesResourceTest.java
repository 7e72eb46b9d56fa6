package ai.adaptserve.function.adaptation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The test-time strategies through {@code POST /v1/generate} on the real app and built-in model: {@code vote}
 * {@code weighted}, {@code verifier} and {@code augmented}, {@code adapter} {@code cem}, and document training that
 * covers the whole document. Each choice is recomputed here from the candidates the response reports.
 */
@QuarkusTest
class StrategiesResourceTest {

    private static final String ID_PATTERN = "sha256:[0-9a-f]{64}";
    /** Unique per test JVM, so the first request of each test trains. */
    private static final String NONCE = UUID.randomUUID().toString().substring(0, 6);

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    private static List<Map<String, String>> reverseExamples(String tag) {
        return List.of(
                Map.of(
                        "input",
                        "abc" + tag,
                        "output",
                        new StringBuilder("abc" + tag).reverse().toString()),
                Map.of("input", "hello", "output", "olleh"),
                Map.of("input", "moon", "output", "noom"));
    }

    private static JsonPath ok(Map<String, Object> body) {
        return given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    private static void refused(Map<String, Object> body, int status, String code, String field) {
        given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(status)
                .body("error.code", equalTo(code))
                .body("error.message", containsString(field));
    }

    @Test
    void voteWeighted_picksTheAnswerWithTheLargestSummedProbability() {
        // Given 8 hot samples of a prompt the base model is unsure about
        Map<String, Object> body = new HashMap<>(Map.of(
                "prompt",
                "in: 0120\nout: 0210\nin: 3401\nout: ",
                "adapter",
                "none",
                "samples",
                8,
                "temperature",
                1.5,
                "max_tokens",
                4,
                "seed",
                11,
                "vote",
                "weighted"));

        JsonPath r = ok(body);

        // Then the answer is the trimmed text whose samples' exp(score) sum is largest, recounted naively here
        Map<String, Double> mass = new LinkedHashMap<>();
        List<Map<String, Object>> candidates = r.getList("candidates");
        assertEquals(8, candidates.size());
        for (Map<String, Object> c : candidates) {
            double score = ((Number) c.get("score")).doubleValue();
            mass.merge(((String) c.get("text")).trim(), Math.exp(score), Double::sum);
        }
        String heaviest =
                Collections.max(mass.entrySet(), Map.Entry.comparingByValue()).getKey();
        assertTrue(mass.size() > 1, "the samples should disagree for the vote to mean anything: " + mass);
        assertEquals(heaviest, r.getString("text").trim(), "masses " + mass);
    }

    @Test
    void voteVerifier_picksTheAnswerTheExamplesScoreBest() {
        // Given examples in context and 6 hot samples
        JsonPath r = ok(Map.of(
                "prompt",
                "tree",
                "examples",
                reverseExamples("v"),
                "adapter",
                "none",
                "samples",
                6,
                "temperature",
                1.5,
                "max_tokens",
                6,
                "seed",
                5,
                "vote",
                "verifier"));

        // Then every candidate carries its answer's verifier score, equal answers score alike, and the best wins
        List<Map<String, Object>> candidates = r.getList("candidates");
        Map<String, Double> byText = new HashMap<>();
        double best = Double.NEGATIVE_INFINITY;
        for (Map<String, Object> c : candidates) {
            double s = ((Number) c.get("verifier_score")).doubleValue();
            Double seen = byText.put((String) c.get("text"), s);
            if (seen != null) {
                assertEquals(seen, s, 1e-9);
            }
            best = Math.max(best, s);
        }
        assertTrue(byText.size() > 1, "the samples should disagree: " + byText);
        assertEquals(best, byText.get(r.getString("text")), 1e-9);
    }

    @Test
    void voteAugmented_testTimeTrained_votesOverTransformsMappedBack() {
        // Given a test-time-training request asking for augmented inference
        JsonPath r = ok(Map.of(
                "prompt", "tree", "examples", reverseExamples("a" + NONCE), "max_tokens", 6, "vote", "augmented"));

        // Then the LoRA answered under identity and reversal, 2 orders each (letters: no relabelling)
        assertEquals("lora", r.getString("adapter.kind"));
        List<Map<String, Object>> candidates = r.getList("candidates");
        assertEquals(4, candidates.size());
        List<String> augmentations = new ArrayList<>();
        Map<String, List<String>> byAugmentation = new LinkedHashMap<>();
        Map<String, Integer> overall = new HashMap<>();
        for (Map<String, Object> c : candidates) {
            String a = (String) c.get("augmentation");
            augmentations.add(a);
            byAugmentation.computeIfAbsent(a, k -> new ArrayList<>()).add((String) c.get("text"));
            overall.merge((String) c.get("text"), 1, Integer::sum);
        }
        assertEquals(List.of("id", "id", "rev", "rev"), augmentations);
        // and the text is the hierarchical vote over the mapped-back answers, recounted here
        List<String> winners = new ArrayList<>();
        for (List<String> answers : byAugmentation.values()) {
            winners.add(top(answers, overall));
        }
        assertEquals(top(winners, overall), r.getString("text"));
    }

    /** Most frequent; ties to more votes overall, then to the first seen. */
    private static String top(List<String> answers, Map<String, Integer> overall) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        answers.forEach(a -> counts.merge(a, 1, Integer::sum));
        String best = null;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (best == null
                    || e.getValue() > counts.get(best)
                    || (e.getValue().equals(counts.get(best)) && overall.get(e.getKey()) > overall.get(best))) {
                best = e.getKey();
            }
        }
        return best;
    }

    @Test
    void adapterCem_searchedOnce_thenServedFromTheCacheUnderTheSameId() {
        // Given a few-shot request asking for Transformer²'s CEM mixture of experts
        Map<String, Object> body =
                Map.of("prompt", "tree", "examples", reverseExamples("c" + NONCE), "adapter", "cem", "max_tokens", 6);

        // When it is sent twice
        JsonPath first = ok(body);
        JsonPath second = ok(body);

        // Then the first searched an SVF mixture and the second found it in memory
        assertEquals("svf", first.getString("adapter.kind"));
        assertEquals("trained", first.getString("adapter.tier"));
        assertTrue(first.getString("adapter.id").matches(ID_PATTERN));
        assertEquals(first.getString("adapter.id"), second.getString("adapter.id"));
        assertEquals("memory", second.getString("adapter.tier"));
        assertEquals(0, second.getInt("adapter.train_ms"));
        // and the stored mixture records a full search: adaptserve.cem.iterations (4) iterations
        given().when()
                .get("/v1/adapters/" + first.getString("adapter.id"))
                .then()
                .statusCode(200)
                .body("kind", equalTo("svf"))
                .body("training.steps", equalTo(4))
                .body("training.stop", equalTo("completed"))
                .body("metadata.prompt_format", equalTo("in-out"));
    }

    @Test
    void document_trainedOnEveryChunk_passesTimes() {
        // Given a document of 300 one-byte characters (the built-in model's tokens are bytes)
        String line = "Ada keeps the red key " + NONCE + ". ";
        StringBuilder doc = new StringBuilder();
        while (doc.length() < 300) {
            doc.append(line);
        }
        String document = doc.substring(0, 300);

        JsonPath r = ok(Map.of("prompt", "Ada keeps the", "document", document, "max_tokens", 4));

        // Then its LoRA took ceil(300 / 64) = 5 chunks × 2 passes = 10 steps (not adaptserve.ttt.steps = 12)
        int bytes = document.getBytes(StandardCharsets.UTF_8).length;
        int expected = (bytes + 63) / 64 * 2;
        given().when()
                .get("/v1/adapters/" + r.getString("adapter.id"))
                .then()
                .statusCode(200)
                .body("training.steps", equalTo(expected))
                .body("training.stop", equalTo("completed"));
    }

    @Test
    void document_pastTheStepBudget_413NamingDocument_nothingTrained() {
        // Given a document of 40 000 two-byte characters: 1 250 chunks × 2 passes > 2 048 steps
        String document = "é".repeat(40_000) + NONCE;

        refused(Map.of("prompt", "what?", "document", document), 413, "document_too_long", "document");
    }

    @Test
    void invalidStrategies_400NamingTheField() {
        refused(Map.of("prompt", "x", "vote", "verifier"), 400, "invalid_request", "vote \"verifier\" needs examples");
        refused(
                Map.of("prompt", "x", "examples", reverseExamples("i"), "vote", "augmented", "samples", 3),
                400,
                "invalid_request",
                "samples must be 1");
        refused(Map.of("prompt", "x", "vote", "best"), 400, "invalid_request", "vote must be one of");
        refused(
                Map.of(
                        "prompt",
                        "x",
                        "adapter",
                        "cem",
                        "examples",
                        reverseExamples("i").subList(0, 1)),
                400,
                "invalid_request",
                "adapter \"cem\"");
        refused(
                Map.of("prompt", "x", "adapter", "cem", "examples", reverseExamples("i"), "document", "d"),
                400,
                "unsupported",
                "adapter \"cem\"");
    }

    @Test
    void candidatesOfPlainVotes_haveNoStrategyFields() {
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "abc", "adapter", "none", "max_tokens", 2))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("candidates", hasSize(1))
                .body("candidates[0].score", notNullValue())
                .body("candidates[0].containsKey('verifier_score')", equalTo(false))
                .body("candidates[0].containsKey('augmentation')", equalTo(false))
                .body("adapter.kind", matchesPattern("none"))
                .body("candidates.votes", everyItem(equalTo(1)));
    }
}
