package ai.adaptserve.function.adaptation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile conditions over HTTP, on the real app: the durable tier (S3) is down, so a lookup by id is answered 503
 * {@code adapter_store_unavailable} (not 404); and with one training slot and no queue, a second training while the
 * first runs is answered 429 {@code overloaded} with {@code Retry-After} at once.
 */
@QuarkusTest
@TestProfile(StoreOutageAndQueueProfileTest.DeadS3OneTrainingSlot.class)
class StoreOutageAndQueueProfileTest {

    public static final class DeadS3OneTrainingSlot implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    Map.entry("adaptserve.cache.s3.bucket", "adapters"),
                    Map.entry("adaptserve.cache.s3.endpoint", "http://127.0.0.1:" + deadPort()),
                    Map.entry("adaptserve.cache.s3.access-key-id", "test"),
                    Map.entry("adaptserve.cache.s3.secret-access-key", "test"),
                    Map.entry("adaptserve.cache.s3.timeout", "2s"),
                    Map.entry("adaptserve.ttt.max-concurrent", "1"),
                    Map.entry("adaptserve.ttt.max-queued", "0"),
                    // A training that runs until its wall time (steps far beyond it): the slot stays taken.
                    Map.entry("adaptserve.ttt.steps", "1000000"),
                    Map.entry("adaptserve.ttt.max-wall-time", "20s"),
                    Map.entry("adaptserve.ttt.wait-timeout", "1s"),
                    Map.entry("adaptserve.ttt.warm-up", "false"));
        }

        /** A port nothing listens on: S3 calls are refused at once. */
        private static int deadPort() {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    private static String randomId() {
        StringBuilder hex = new StringBuilder("sha256:");
        for (int i = 0; i < 64; i++) {
            hex.append(Character.forDigit(ThreadLocalRandom.current().nextInt(16), 16));
        }
        return hex.toString();
    }

    @Test
    void adapterById_durableTierDown_is503WithRetryAfterNot404() {
        String id = randomId();
        given().when()
                .get("/v1/adapters/" + id)
                .then()
                .statusCode(503)
                .header("Retry-After", notNullValue())
                .body("error.code", equalTo("adapter_store_unavailable"));
        given().contentType(ContentType.JSON)
                .body("{\"prompt\": \"abc\", \"max_tokens\": 1, \"adapter\": \"" + id + "\"}")
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(503)
                .header("Retry-After", notNullValue())
                .body("error.code", equalTo("adapter_store_unavailable"));
    }

    @Test
    void generate_trainingSlotTakenAndNoQueue_is429WithRetryAfter() {
        String nonce = UUID.randomUUID().toString().substring(0, 8);
        String first = """
                {"prompt": "xyz", "max_tokens": 1,
                 "examples": [{"input": "a%1$s", "output": "b"}, {"input": "c%1$s", "output": "d"}]}""".formatted(nonce);
        // Waits wait-timeout (1 s) and is told its adapter is still training: the training holds the only slot.
        given().contentType(ContentType.JSON)
                .body(first)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(503)
                .body("error.code", equalTo("adapter_training"));

        String second = first.replace("xyz", "uvw").replace("a" + nonce, "e" + nonce);
        given().contentType(ContentType.JSON)
                .body(second)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(429)
                .header("Retry-After", notNullValue())
                .body("error.code", equalTo("overloaded"))
                .body("error.message", containsString("training slots"));
    }
}
