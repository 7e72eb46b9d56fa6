package ai.adaptserve.function.adaptation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import ai.adaptserve.function.ModelReady;
import ai.adaptserve.model.train.TrainingClock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A training cut short by max-wall-time is refused and never cached under the id that promises every step. The
 * training's clock is replaced by {@link PastWallTime}, which runs an hour ahead at every reading: the default 60 s
 * budget is used up before the first step, however fast or slow this machine is.
 */
@QuarkusTest
@TestProfile(TrainingTimeoutProfileTest.WallTimeAlwaysPast.class)
class TrainingTimeoutProfileTest {

    public static final class WallTimeAlwaysPast implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("adaptserve.ttt.warm-up", "false");
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(PastWallTime.class);
        }
    }

    /** A training clock an hour further on at every reading. */
    @Alternative
    @Singleton
    public static class PastWallTime implements TrainingClock {
        private final AtomicLong now = new AtomicLong();

        @Override
        public long nanoTime() {
            return now.addAndGet(TimeUnit.HOURS.toNanos(1));
        }
    }

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    @Test
    void generate_trainingPastWallTime_503AndNothingCached() {
        String nonce = UUID.randomUUID().toString().substring(0, 8);
        String body = """
                {"prompt": "xyz", "max_tokens": 2,
                 "examples": [{"input": "a%1$s", "output": "b"}, {"input": "c%1$s", "output": "d"}]}""".formatted(nonce);
        for (int attempt = 0; attempt < 2; attempt++) {
            // Each attempt trains again (a cached partial adapter would answer 200 from memory the second time).
            given().contentType(ContentType.JSON)
                    .body(body)
                    .when()
                    .post("/v1/generate")
                    .then()
                    .statusCode(503)
                    .header("Retry-After", notNullValue())
                    .body("error.code", equalTo("training_timeout"));
        }
    }
}
