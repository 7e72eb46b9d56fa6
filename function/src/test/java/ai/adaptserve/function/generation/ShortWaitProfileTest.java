package ai.adaptserve.function.generation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a client sees when the instance cannot answer yet, over HTTP: a training still running after
 * {@code adaptserve.ttt.wait-timeout} (here 0 s: no request ever waits for one) is 503 {@code adapter_training} with
 * {@code Retry-After}, and the training goes on so that the same request later finds the adapter; with every
 * generation slot taken and no queue ({@code adaptserve.batch.max-queued=0}), a request is 429 {@code overloaded}
 * with {@code Retry-After}. The slots are taken by the test itself, through the application's {@link Admission}.
 */
@QuarkusTest
@TestProfile(ShortWaitProfileTest.NoWaiting.class)
class ShortWaitProfileTest {

    public static final class NoWaiting implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "adaptserve.ttt.wait-timeout", "0s",
                    "adaptserve.ttt.warm-up", "false",
                    "adaptserve.batch.max-concurrent", "2",
                    "adaptserve.batch.max-queued", "0",
                    "adaptserve.batch.retry-after", "3s");
        }
    }

    /** How long the test polls for the training to finish before it fails: a bound for a broken build, not a speed. */
    private static final Duration TRAINING_PATIENCE = Duration.ofMinutes(5);

    @Inject
    Admission admission;

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    @Test
    void trainingLongerThanTheWait_503AdapterTraining_thenTheSameRequestFindsIt() {
        String nonce = UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> body = Map.of(
                "prompt",
                "tree",
                "max_tokens",
                2,
                "examples",
                List.of(Map.of("input", "ab" + nonce, "output", "ba"), Map.of("input", "cd", "output", "dc")));
        double trainingsBefore = trainings();

        // The first request starts the training and is told to come back
        String message = given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(503)
                .header("Retry-After", equalTo("5"))
                .body("error.code", equalTo("adapter_training"))
                .body("error.message", containsString("still being trained"))
                .extract()
                .path("error.message");
        String id = message.substring(message.indexOf("sha256:"), message.indexOf("sha256:") + 71);

        // The training went on without it: the same request is then answered with the adapter it trained
        long deadline = System.nanoTime() + TRAINING_PATIENCE.toNanos();
        Response answer;
        while ((answer = given().contentType(ContentType.JSON).body(body).when().post("/v1/generate")).statusCode()
                == 503) {
            assertEquals("adapter_training", answer.path("error.code"));
            if (System.nanoTime() > deadline) {
                fail("the training of " + id + " did not finish within " + TRAINING_PATIENCE);
            }
            sleep(200);
        }
        assertEquals(200, answer.statusCode(), answer.asString());
        assertEquals(id, answer.path("adapter.id"));
        assertEquals("memory", answer.path("adapter.tier"));
        assertEquals(trainingsBefore + 1, trainings(), "trained once, for every request");
        given().when().get("/v1/adapters/" + id).then().statusCode(200).body("id", equalTo(id));
    }

    @Test
    void everySlotTakenAndNoQueue_429WithRetryAfter_thenServedOnceASlotIsFree() {
        // A routed request: the router's pass is admitted by Admission (its generation then by the decode engine's KV
        // slots, tested in EngineAdmissionProfileTest)
        Map<String, Object> body = Map.of("prompt", "rotate 3: abcdef -> ", "max_tokens", 2);
        List<Admission.Slot> taken = new ArrayList<>();
        try {
            taken.add(admission.admit());
            taken.add(admission.admit());
            given().contentType(ContentType.JSON)
                    .body(body)
                    .when()
                    .post("/v1/generate")
                    .then()
                    .statusCode(429)
                    .contentType(ContentType.JSON)
                    .header("Retry-After", equalTo("3"))
                    .body("error.code", equalTo("overloaded"))
                    .body("error.message", containsString("all 2 generation slots and 0 queue places are taken"));
        } finally {
            taken.forEach(Admission.Slot::close);
        }
        given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200);
    }

    /** Trainings started by the cache, from {@code adapter_cache_trainings_started_total}. */
    private static double trainings() {
        String metrics = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("adapter_cache_trainings_started_total ")
                    || line.startsWith("adapter_cache_trainings_started_total{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }
}
