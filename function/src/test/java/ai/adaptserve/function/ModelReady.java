package ai.adaptserve.function;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import java.time.Duration;
import org.junit.jupiter.api.Assertions;

/** Waits for the app under test to load its model (readiness UP); fails fast if loading failed. */
public final class ModelReady {
    private ModelReady() {}

    private static final Duration TIMEOUT = Duration.ofMinutes(15);

    public static void await() {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            Response ready = given().when().get("/q/health/ready");
            if (ready.statusCode() == 200) {
                return;
            }
            String body = ready.asString();
            if (body.contains("failed to load")) {
                Assertions.fail("the model failed to load: " + body);
            }
            if (System.nanoTime() > deadline) {
                Assertions.fail("the model was not ready after " + TIMEOUT + ": " + body);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Assertions.fail("interrupted");
            }
        }
    }
}
