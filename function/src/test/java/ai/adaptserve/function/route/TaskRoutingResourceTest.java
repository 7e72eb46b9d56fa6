package ai.adaptserve.function.route;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;

import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
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

    /** The README's first request: the router finds the family and its expert answers it right. */
    @Test
    void readme_theRoutedExpertAnswersRight_andTheBaseModelAloneDoesNot() {
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "rotate 3: yjglkz -> "))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("text", equalTo("lkzyjg"))
                .body("task.label", equalTo("rotate"))
                .body("task.source", equalTo("classifier"))
                .body("adapter.id", equalTo("expert:rotate"));
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "rotate 3: yjglkz -> ", "adapter", "none", "stop", List.of("\n")))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("text", equalTo("ljzykg"));
    }

    /**
     * The README's second request: a task the model never trained on (recolour, then gravity), answered right after
     * test-time training on its examples, and wrong with the examples in context only.
     */
    @Test
    void readme_aNovelTaskNeedsTestTimeTraining() {
        List<Map<String, String>> examples = List.of(
                Map.of("input", "9099905500", "output", "0000222255"),
                Map.of("input", "00900111", "output", "00002111"),
                Map.of("input", "00990006", "output", "00000226"));
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "00999000", "examples", examples))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("text", equalTo("00000222"))
                .body("adapter.kind", equalTo("lora"));
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "00999000", "examples", examples, "adapter", "none"))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("text", equalTo("00009990"));
    }

    @Test
    void theRequestsTaskSkipsTheClassifierAndPicksThatExpert() {
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "reverse: stone -> ", "task", "reverse", "max_tokens", 12))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
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
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "Task: upper\nQ: stone\nA: ", "max_tokens", 12))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("task.label", equalTo("upper"))
                .body("task.source", equalTo("classifier"))
                .body("task.confidence", allOf(greaterThanOrEqualTo(0.5f), lessThanOrEqualTo(1.0f)))
                .body("adapter.id", equalTo("expert:upper"))
                .body("timings_ms.route", greaterThanOrEqualTo(0));
    }

    @Test
    void withExamplesTheAnswerComesFromTestTimeTrainingAndTheClassIsOnlyReported() {
        List<Map<String, String>> examples = List.of(
                Map.of("input", "0120", "output", "0210"),
                Map.of("input", "3004", "output", "4003"),
                Map.of("input", "5600", "output", "0065"));
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "7080", "examples", examples, "max_tokens", 8))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("adapter.kind", equalTo("lora"))
                .body("task.source", equalTo("classifier"));
    }
}
