package ai.adaptserve.function.lifecycle;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.adaptserve.function.ModelReady;
import ai.adaptserve.function.settings.AdaptServeConfig;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Health, models, metrics and OpenAPI, once the model is loaded. */
@QuarkusTest
class OperationalEndpointsTest {

    @Inject
    AdaptServeConfig config;

    @Test
    void modelPlanGuessedInMain_sameAsTheConfiguration() {
        // Given the model's keys as Maven's test run sets them (system properties), when Main's guess is compared with
        // what Quarkus's configuration reads, then they agree: in production the model is loaded once
        Map<String, String> properties = new HashMap<>();
        System.getProperties().forEach((k, v) -> properties.put(String.valueOf(k), String.valueOf(v)));
        assertEquals(
                Optional.of(ModelPlan.of(config.model())), ModelPlan.guess(properties, System.getenv(), Path.of("")));
    }

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    @Test
    void ready_modelLoaded_up() {
        // When readiness is asked for after the model loaded
        given().when()
                .get("/q/health/ready")
                // Then it is UP, with the model's check
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'model' }.status", equalTo("UP"));
    }

    @Test
    void live_up() {
        // When liveness is asked for, then it is UP
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void models_loaded_listsBaseThenExperts() {
        // When the models are listed
        given().when()
                .get("/v1/models")
                // Then the base model is there with its fingerprint and context length
                .then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .body("object", equalTo("list"))
                .body("data[0].id", equalTo("base"))
                .body("data[0].object", equalTo("model"))
                // then one entry per expert of the built-in model, each a child of the base
                .body("data.size()", greaterThan(1))
                .body("data[1].id", startsWith("expert:"))
                .body("data[1].parent", equalTo("base"))
                .body("data[0].fingerprint.length()", greaterThan(0))
                .body("data[0].context_length", greaterThan(0));
    }

    @Test
    void metrics_afterRequests_showOwnMeters() {
        // Given one answered and one refused generate request
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "Hi", "max_tokens", 2))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200);
        given().contentType(ContentType.JSON)
                .body("{}")
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(400);

        // When the metrics are scraped
        given().when()
                .get("/q/metrics")
                // Then the request counter (by outcome), generation timer and token counter are there
                .then()
                .statusCode(200)
                .body(containsString("adaptserve_requests_total{"))
                .body(containsString("outcome=\"ok\""))
                .body(containsString("outcome=\"invalid_request\""))
                .body(containsString("adaptserve_generation_seconds_count"))
                .body(containsString("adaptserve_tokens_generated_total"))
                .body(containsString("adaptserve_generations_active"));
    }

    @Test
    void openapi_describesGenerate() {
        // When the OpenAPI document is fetched, then it describes /v1/generate and /v1/adapters/{id}
        given().accept("application/json")
                .when()
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .body("openapi", startsWith("3."))
                .body("paths.'/v1/generate'.post.summary", containsString("Generate"))
                .body("paths.'/v1/adapters/{id}'.get.summary", containsString("metadata"));
    }
}
