package ai.adaptserve.function.generation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.ModelReady;
import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.engine.DecodeEngine;
import ai.adaptserve.model.engine.EngineRequest;
import ai.adaptserve.model.engine.EngineStats;
import ai.adaptserve.model.engine.RowListener;
import ai.adaptserve.model.engine.Submission;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Admission by KV slots on the real app with a two-row engine and no waiting queue. To hold slots deterministically
 * (no timing), a request is put into the engine directly whose listener blocks the engine's thread until released.
 */
@QuarkusTest
@TestProfile(EngineAdmissionProfileTest.TwoRows.class)
class EngineAdmissionProfileTest {

    public static final class TwoRows implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("adaptserve.engine.max-rows", "2", "adaptserve.batch.max-queued", "0");
        }
    }

    @Inject
    ServingEngines engines;

    @Inject
    ModelHolder models;

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    private DecodeEngine engine() {
        try (ModelHolder.Lease lease = models.leaseOrThrow()) {
            LoadedModel loaded = lease.model().loaded().orElseThrow();
            return engines.engineFor(loaded);
        }
    }

    /** Puts a request of {@code rows} samples into the engine whose first token blocks the engine until released. */
    private CompletableFuture<List<Generation>> hold(int rows, int maxTokens, BooleanSupplier release) {
        DecodeEngine engine = engine();
        var prompt = models.readyOrThrow().generator().tokenize("in: abc\nout: ");
        List<GenerationParams> samples = java.util.Collections.nCopies(rows, GenerationParams.greedy(maxTokens));
        AtomicBoolean once = new AtomicBoolean();
        RowListener blocking = (sample, text, finished) -> {
            if (once.compareAndSet(false, true)) {
                for (int i = 0; i < 3000 && !release.getAsBoolean(); i++) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        };
        Submission s = engine.submit(new EngineRequest(
                prompt, samples, Optional.empty(), Optional.empty(), () -> false, () -> false, blocking));
        return assertInstanceOf(Submission.Accepted.class, s).result();
    }

    private EngineStats stats() {
        return engines.stats().orElseThrow();
    }

    @Test
    void requestNeedingMoreRowsThanTheKvBudgetHolds_413NamingTheLimit() {
        given().contentType(ContentType.JSON)
                .body("{\"prompt\": \"abc\", \"samples\": 3, \"max_tokens\": 2}")
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(413)
                .body("error.code", equalTo("kv_budget_exceeded"))
                .body("error.message", containsString("adaptserve.engine.max-rows = 2"))
                .body("error.message", containsString("samples"));
    }

    @Test
    void everySlotTakenAndNoQueuePlace_429WithRetryAfter() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<List<Generation>> held = hold(2, 3, () -> release.getCount() == 0);
        try {
            given().contentType(ContentType.JSON)
                    .body("{\"prompt\": \"abc\", \"max_tokens\": 2, \"adapter\": \"none\"}")
                    .when()
                    .post("/v1/generate")
                    .then()
                    .statusCode(429)
                    .header("Retry-After", equalTo("1"))
                    .body("error.code", equalTo("overloaded"));
        } finally {
            release.countDown();
        }
        assertEquals(2, held.get(60, TimeUnit.SECONDS).size());
        given().contentType(ContentType.JSON)
                .body("{\"prompt\": \"abc\", \"max_tokens\": 2, \"adapter\": \"none\"}")
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200);
    }

    @Test
    void clientThatDisconnects_freesItsSlotWithoutProducingATokenMore() throws Exception {
        AtomicBoolean release = new AtomicBoolean();
        engine();
        long tokensBefore = stats().tokens();
        CompletableFuture<List<Generation>> held = hold(1, 3, release::get);
        String body = "{\"prompt\": \"abc\", \"max_tokens\": 200, \"adapter\": \"none\"}";
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The request is admitted (both slots taken) but cannot start: the engine's thread is held.
            for (int i = 0; i < 3000 && stats().kvBytesInUse() < stats().kvBytesTotal(); i++) {
                Thread.sleep(10);
            }
            assertEquals(stats().kvBytesTotal(), stats().kvBytesInUse(), "the request took the second slot");
        }
        // Closed. The server sees the connection go within milliseconds; the wait only gives it room to.
        Thread.sleep(500);
        release.set(true);
        int heldTokens = held.get(60, TimeUnit.SECONDS).get(0).completionTokens();
        for (int i = 0; i < 3000 && stats().kvBytesInUse() > 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(0, stats().kvBytesInUse(), "both slots are free");
        // The engine adds a step's tokens to its count just after that step's rows are handed back: let it catch up.
        for (int i = 0; i < 3000 && stats().tokens() - tokensBefore < heldTokens; i++) {
            Thread.sleep(10);
        }
        assertEquals(heldTokens, stats().tokens() - tokensBefore, "the gone client's request produced no token");
        String metrics = given().when().get("/q/metrics").asString();
        assertTrue(
                metrics.lines()
                        .anyMatch(
                                l -> l.startsWith("adaptserve_engine_requests_abandoned_total") && l.endsWith(" 1.0")),
                "one request counted as abandoned");
        assertTrue(metrics.contains("adaptserve_engine_rows_running"), "running rows are exported");
        assertTrue(metrics.contains("adaptserve_engine_kv_bytes_used"), "KV bytes in use are exported");
        assertTrue(metrics.contains("adaptserve_engine_tokens_per_second"), "tokens/s is exported");
        assertTrue(
                metrics.contains("adaptserve_engine_adapters_prepared_hits_total"),
                "prepared-adapter hits are exported");
        assertTrue(
                metrics.contains("adaptserve_engine_adapters_prepared_bytes"), "prepared-adapter bytes are exported");
    }
}
