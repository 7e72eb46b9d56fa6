package ai.adaptserve.function.routing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Task routing to the built-in model's SVF experts, against the real app and the real built-in model. */
@QuarkusTest
class TaskRoutingResourceTest {

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    /*
     * The README's two requests and the answers it prints ("The two commands", "Adapting to a request"); the last test
     * of this group checks that the README still prints them, so the link holds both ways. Where the strings come from:
     * the right answers are derived by hand. rotate 3 moves the last three characters of yjglkz to the front (lkz + yjg
     * = lkzyjg); the novel task recolours 9 to 2 (00999000 -> 00222000), then lets the colours fall right (00000222).
     * The base model's answers (ljzykg, 00009990) are simply what the built-in checkpoint writes greedily: nothing
     * derives them; they are exact because decoding and training are deterministic in the test JVM (one PyTorch
     * thread, seeded training: TESTING.md), and what matters about them is that they are wrong.
     */
    static final String ROTATE_PROMPT = "rotate 3: yjglkz -> ";
    static final String ROTATE_RIGHT = "lkzyjg";
    static final String ROTATE_BASE = "ljzykg";
    static final List<Map<String, String>> NOVEL_EXAMPLES = List.of(
            Map.of("input", "9099905500", "output", "0000222255"),
            Map.of("input", "00900111", "output", "00002111"),
            Map.of("input", "00990006", "output", "00000226"));
    static final String NOVEL_PROMPT = "00999000";
    static final String NOVEL_RIGHT = "00000222";
    static final String NOVEL_IN_CONTEXT = "00009990";

    /** The README's first request: the router finds the family and its expert answers it right. */
    @Test
    void readme_theRoutedExpertAnswersRight_andTheBaseModelAloneDoesNot() {
        generated(Map.of("prompt", ROTATE_PROMPT))
                .body("text", equalTo(ROTATE_RIGHT))
                .body("task.label", equalTo("rotate"))
                .body("task.source", equalTo("classifier"))
                .body("adapter.id", equalTo("expert:rotate"));
        generated(Map.of("prompt", ROTATE_PROMPT, "adapter", "none", "stop", List.of("\n")))
                .body("text", equalTo(ROTATE_BASE));
        assertNotEquals(ROTATE_RIGHT, ROTATE_BASE);
    }

    /**
     * The README's second request: a task the model never trained on (recolour, then gravity), answered right after
     * test-time training on its examples (trained in this run: the adapter directory is new for every run), from
     * memory the second time, and wrong with the examples in context only.
     */
    @Test
    void readme_aNovelTaskNeedsTestTimeTraining() {
        String id = generated(Map.of("prompt", NOVEL_PROMPT, "examples", NOVEL_EXAMPLES))
                .body("text", equalTo(NOVEL_RIGHT))
                .body("adapter.kind", equalTo("lora"))
                .body("adapter.tier", equalTo("trained"))
                .body("adapter.train_ms", greaterThan(0))
                .extract()
                .path("adapter.id");
        generated(Map.of("prompt", NOVEL_PROMPT, "examples", NOVEL_EXAMPLES))
                .body("text", equalTo(NOVEL_RIGHT))
                .body("adapter.id", equalTo(id))
                .body("adapter.tier", equalTo("memory"))
                .body("adapter.train_ms", equalTo(0));
        generated(Map.of("prompt", NOVEL_PROMPT, "examples", NOVEL_EXAMPLES, "adapter", "none"))
                .body("text", equalTo(NOVEL_IN_CONTEXT));
        assertNotEquals(NOVEL_RIGHT, NOVEL_IN_CONTEXT);
    }

    /** The README prints exactly the requests and answers the two tests above check. */
    @Test
    void readme_printsTheRequestsAndAnswersCheckedHere() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (String quoted : List.of(
                "-d '{\"prompt\": \"" + ROTATE_PROMPT + "\"}'",
                "answers `\"" + ROTATE_RIGHT + "\"`",
                "(`\"adapter\": \"none\"`) answers `" + ROTATE_BASE + "`",
                "\"prompt\": \"" + NOVEL_PROMPT + "\",",
                "{\"input\": \"9099905500\", \"output\": \"0000222255\"}, {\"input\": \"00900111\", \"output\": \"00002111\"}",
                "{\"input\": \"00990006\", \"output\": \"00000226\"}]}'",
                "# → \"text\": \"" + NOVEL_RIGHT
                        + "\", \"adapter\": {\"id\": \"sha256:…\", \"kind\": \"lora\", \"tier\": \"trained\"",
                "with \"adapter\": \"none\" (examples in context only): \"" + NOVEL_IN_CONTEXT + "\"",
                "the same request again → \"tier\": \"memory\", \"train_ms\": 0, same id",
                "`TaskRoutingResourceTest`")) {
            assertTrue(readme.contains(quoted), "README.md no longer says: " + quoted);
        }
    }

    @Test
    void theRequestsTaskSkipsTheClassifierAndPicksThatExpert() {
        generated(Map.of("prompt", "reverse: stone -> ", "task", "reverse", "max_tokens", 12))
                .body("task.label", equalTo("reverse"))
                .body("task.source", equalTo("request"))
                .body("task.confidence", equalTo(1.0f))
                .body("adapter.id", equalTo("expert:reverse"))
                .body("adapter.kind", equalTo("svf"))
                .body("adapter.tier", equalTo("memory"))
                // an expert's answer ends at the line break, like the task format it was trained on
                .body("text", org.hamcrest.Matchers.not(containsString("\n")));
    }

    @Test
    void aTaskWithoutAnExpertIsRefusedNamingTheField() {
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "x", "task", "translate"))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_request"))
                .body("error.message", startsWith("task translate has no expert"));
    }

    @Test
    void aPromptThatNamesItsFamilyIsRoutedToThatExpert() {
        generated(Map.of("prompt", "Task: upper\nQ: stone\nA: ", "max_tokens", 12))
                .body("task.label", equalTo("upper"))
                .body("task.source", equalTo("classifier"))
                .body("task.confidence", allOf(greaterThanOrEqualTo(0.5f), lessThanOrEqualTo(1.0f)))
                .body("adapter.id", equalTo("expert:upper"))
                .body("timings_ms.route", greaterThanOrEqualTo(0));
    }

    /** Requests whose examples, adapter id or {@code none} fix the adapter: the request decided, the router never ran. */
    @Test
    void whereTheRequestFixesTheAdapterTheRouterDoesNotRun() {
        List<Map<String, String>> examples = List.of(
                Map.of("input", "0120", "output", "0210"),
                Map.of("input", "3004", "output", "4003"),
                Map.of("input", "5600", "output", "0065"));
        double before = classifierRuns();
        String id = generated(Map.of("prompt", "7080", "examples", examples, "max_tokens", 8))
                .body("adapter.kind", equalTo("lora"))
                .body("task.label", equalTo("none"))
                .body("task.source", equalTo("request"))
                .body("task.confidence", equalTo(1.0f))
                .body("timings_ms.route", equalTo(0))
                .extract()
                .path("adapter.id");
        // a task sent beside a fixed adapter is reported as sent; it picks no expert
        generated(Map.of("prompt", "7080", "adapter", id, "task", "reverse", "max_tokens", 8))
                .body("adapter.id", equalTo(id))
                .body("task.label", equalTo("reverse"))
                .body("task.source", equalTo("request"))
                .body("timings_ms.route", equalTo(0));
        generated(Map.of("prompt", "rotate 3: yjglkz -> ", "adapter", "none", "max_tokens", 8))
                .body("adapter.kind", equalTo("none"))
                .body("task.source", equalTo("request"))
                .body("timings_ms.route", equalTo(0));
        assertEquals(before, classifierRuns(), "router passes");
    }

    /**
     * A prompt the router gives no expert ({@code Once upon a time}: its best family is below the threshold) is
     * answered by the base model from the router's own pass over the prompt: the same candidates and scores as the
     * base model alone, which runs the prompt itself.
     */
    @Test
    void whenTheRouterPicksNoExpertTheBaseModelAnswersFromItsPrefill() {
        Map<String, Object> routed =
                Map.of("prompt", "Once upon a time", "max_tokens", 10, "samples", 3, "temperature", 0.8, "seed", 5);
        Map<String, Object> alone = new HashMap<>(routed);
        alone.put("adapter", "none");
        double before = classifierRuns();
        JsonPath fromPrefill = generated(routed)
                .body("task.label", equalTo("none"))
                .body("task.source", equalTo("classifier"))
                .body("adapter.kind", equalTo("none"))
                .extract()
                .jsonPath();
        assertEquals(before + 1, classifierRuns(), "router passes");
        JsonPath base = generated(alone).extract().jsonPath();
        assertEquals(base.getString("text"), fromPrefill.getString("text"));
        assertEquals(base.getList("candidates.text"), fromPrefill.getList("candidates.text"));
        List<Float> expected = base.getList("candidates.score", Float.class);
        List<Float> actual = fromPrefill.getList("candidates.score", Float.class);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), 1e-4, "candidate " + i);
        }
        assertEquals(base.getInt("usage.prompt_tokens"), fromPrefill.getInt("usage.prompt_tokens"));
    }

    /** Posts {@code body} to {@code /v1/generate} and expects a 200. */
    private static ValidatableResponse generated(Map<String, ?> body) {
        return given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200);
    }

    /** Times the router has run, from {@code adaptserve_route_total{source="classifier"}}. */
    private static double classifierRuns() {
        String metrics = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("adaptserve_route_total{") && line.contains("source=\"classifier\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
