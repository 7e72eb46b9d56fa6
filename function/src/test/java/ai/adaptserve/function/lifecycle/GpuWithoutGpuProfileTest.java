package ai.adaptserve.function.lifecycle;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code adaptserve.model.device=gpu} on this CPU-only machine: the model is not loaded on the CPU behind the
 * operator's back; readiness stays DOWN and says which key to change, and generation answers 503.
 */
@QuarkusTest
@TestProfile(GpuWithoutGpuProfileTest.GpuAsked.class)
class GpuWithoutGpuProfileTest {

    public static final class GpuAsked implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("adaptserve.model.device", "gpu", "adaptserve.ttt.warm-up", "false");
        }
    }

    @Test
    void readiness_gpuAskedWithNone_downNamingTheDeviceKey() throws InterruptedException {
        // Step budget, not a clock: the loader thread fails as soon as libtorch has counted its GPUs.
        String reason = "";
        for (int step = 0; step < 600 && !reason.startsWith("failed"); step++) {
            reason = given().when()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(503)
                    .extract()
                    .path("checks.find { it.name == '" + ModelReadinessCheck.NAME + "' }.data.reason");
            if (!reason.startsWith("failed")) {
                Thread.sleep(100);
            }
        }
        assertTrue(reason.contains("adaptserve.model.device") && reason.contains("no GPU"), reason);

        given().contentType(ContentType.JSON)
                .body("{\"prompt\": \"hi\", \"max_tokens\": 1}")
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(503)
                .body("error.code", equalTo("model_unavailable"));
    }
}
