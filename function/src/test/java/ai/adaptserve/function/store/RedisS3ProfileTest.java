package ai.adaptserve.function.store;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.adaptserve.cache.AdapterCacheConfig;
import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.cache.AdapterKind;
import ai.adaptserve.cache.Resp;
import ai.adaptserve.cache.TieredAdapterStore;
import ai.adaptserve.cache.TrainedAdapter;
import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The application as packaged (application.properties), with only its cache pointed at a real {@code redis-server}
 * and s3proxy ({@link RedisAndS3}): adapters read through from Redis and S3 and promoted, a new adapter trained once
 * for concurrent requests and stored in both, readiness that reports a down tier and stays UP while requests are
 * still served, and the write-behind queue, bounded by bytes, while S3 is down.
 */
@QuarkusTest
@TestProfile(RedisS3ProfileTest.WithRedisAndS3.class)
class RedisS3ProfileTest {

    public static final class WithRedisAndS3 implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(RedisAndS3.class));
        }
    }

    /** How long the test waits for something that happens in the background: a bound for a broken build only. */
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    private static final String NONCE = UUID.randomUUID().toString().substring(0, 8);

    /** Set by {@link RedisAndS3#inject}. */
    RedisAndS3 servers;

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    @Test
    void readThrough_anAdapterOfAnotherInstanceIsServedFromRedis_orFromS3AndPromoted() {
        // Given an adapter trained here, and another instance of the fleet that stores its bytes under two new ids
        String trained = train("read-through");
        String fingerprint = fingerprint();
        String inRedis = randomId();
        String onlyInS3 = randomId();
        try (TieredAdapterStore other = otherInstance();
                Resp resp = servers.redis().resp()) {
            // (the other instance reads the adapter file as stored: this instance holds it parsed, without its bytes)
            byte[] adapterFile = other.get(AdapterKey.of(fingerprint, trained))
                    .orElseThrow()
                    .adapter()
                    .payloadBytes();
            other.put(AdapterKey.of(fingerprint, inRedis), TrainedAdapter.of(AdapterKind.LORA, adapterFile));
            other.put(AdapterKey.of(fingerprint, onlyInS3), TrainedAdapter.of(AdapterKind.LORA, adapterFile));
            assertEquals(1L, resp.call("DEL", redisKey(onlyInS3)));

            // When this instance is asked for them, then it reads each from the first tier that has it
            generateWith(inRedis).then().statusCode(200).body("adapter.tier", equalTo("redis"));
            generateWith(onlyInS3).then().statusCode(200).body("adapter.tier", equalTo("s3"));
            // and puts what it read from S3 back into Redis for the fleet
            await(() -> resp.exists(redisKey(onlyInS3)), "promoted to Redis");
            // and into its memory
            generateWith(onlyInS3).then().statusCode(200).body("adapter.tier", equalTo("memory"));
        }
    }

    @Test
    void trainOnce_concurrentRequestsForNewExamples_oneTrainingStoredInRedisAndS3() throws Exception {
        Map<String, Object> body = examplesRequest("train-once");
        double before = metric("adapter_cache_trainings_started_total");
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<Response>> answers =
                    clients.invokeAll(List.of(() -> post(body), () -> post(body), () -> post(body), () -> post(body)));
            String id = null;
            for (Future<Response> f : answers) {
                Response r = f.get();
                assertEquals(200, r.statusCode(), r.asString());
                id = id == null ? r.path("adapter.id") : id;
                assertEquals(id, r.path("adapter.id"));
            }
            assertEquals(before + 1, metric("adapter_cache_trainings_started_total"), "trainings");
            try (Resp resp = servers.redis().resp()) {
                assertTrue(resp.exists(redisKey(id)), "in Redis");
                assertFalse(resp.exists("as:lock:" + id), "fleet lock released");
            }
            assertNotNull(servers.s3().getObject(servers.bucket(), s3Key(id)), "in S3");
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void engineSignals_exportedForAutoscaling_andCountTheGeneration() {
        // Given the packaged configuration, where nothing has been refused (the signals must not wait for a refusal)
        String before = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        for (String signal : List.of(
                "adaptserve_engine_rows_running",
                "adaptserve_engine_requests_waiting",
                "adaptserve_engine_kv_bytes_used",
                "adaptserve_engine_steps_total",
                "adaptserve_engine_tokens_total")) {
            org.junit.jupiter.api.Assertions.assertTrue(before.contains(signal), signal + " not in /q/metrics");
        }
        double tokens = metric("adaptserve_engine_tokens_total");

        // When a base-model request generates 4 tokens (a stop string that never matches)
        post(Map.of("prompt", "tree", "adapter", "none", "max_tokens", 4, "stop", "@@@"))
                .then()
                .statusCode(200);

        // Then the engine's token count grew by them (it is added just after the step hands its rows back)
        await(() -> metric("adaptserve_engine_tokens_total") >= tokens + 4, "the engine's token count");
    }

    @Test
    void readiness_redisDown_reportedButStillUp_requestsServed_andUpAgainWhenBack() {
        servers.redis().stop();
        try {
            // A request that reads Redis finds it down: a clean miss, not an error
            generateWith(randomId()).then().statusCode(404).body("error.code", equalTo("adapter_not_found"));
            given().when()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(200)
                    .body("status", equalTo("UP"))
                    .body("checks.find { it.name == 'adapter-cache' }.status", equalTo("UP"))
                    .body("checks.find { it.name == 'adapter-cache' }.data.redis", equalTo("down"))
                    .body("checks.find { it.name == 'adapter-cache' }.data.s3", equalTo("up"));
            // and new adapters are still trained and answered
            String id = train("redis-down");
            generateWith(id).then().statusCode(200).body("adapter.tier", equalTo("memory"));
        } finally {
            servers.redis().start();
        }
        await(
                () -> "up".equals(cacheCheck().path("checks.find { it.name == 'adapter-cache' }.data.redis")),
                "Redis reported up again");
    }

    @Test
    void writeBehind_s3Down_holdsAdaptersUpToItsBound_thenWritesThemWhenS3IsBack() {
        double dropped = metric("adapter_cache_write_behind_dropped_total");
        servers.s3().stopProcess();
        String first;
        String second;
        try {
            // Given S3 down, a first adapter waits in the queue
            first = train("write-behind-1");
            assertEquals(1, metric("adapter_cache_write_behind_pending"), "queued");
            long firstBytes = (long) metric("adapter_cache_write_behind_bytes");
            assertTrue(
                    firstBytes <= RedisAndS3.WRITE_BEHIND_BYTES && 2 * firstBytes > RedisAndS3.WRITE_BEHIND_BYTES,
                    "the bound holds one adapter of " + firstBytes + " bytes, not two");
            // When a second one comes, the oldest is dropped to keep within the bound
            second = train("write-behind-2");
            assertEquals(1, metric("adapter_cache_write_behind_pending"), "queued");
            assertTrue(metric("adapter_cache_write_behind_bytes") <= RedisAndS3.WRITE_BEHIND_BYTES, "bytes bound");
            assertEquals(dropped + 1, metric("adapter_cache_write_behind_dropped_total"), "dropped");
        } finally {
            servers.s3().startProcess();
        }
        // Then, S3 back, what waited is written and the queue empties; the dropped one never reaches S3
        await(() -> metric("adapter_cache_write_behind_pending") == 0, "queue written to S3");
        assertNotNull(servers.s3().getObject(servers.bucket(), s3Key(second)), "queued adapter written");
        assertNull(servers.s3().getObject(servers.bucket(), s3Key(first)), "dropped adapter not written");
        // and both still answer from this instance's memory
        generateWith(first).then().statusCode(200).body("adapter.tier", equalTo("memory"));
    }

    // ---------------------------------------------------------------- helpers

    private TieredAdapterStore otherInstance() {
        return TieredAdapterStore.builder(AdapterCacheConfig.builder()
                        .redis(AdapterCacheConfig.Redis.builder(servers.redis().url())
                                .build())
                        .s3(servers.s3().config(servers.bucket()))
                        .build())
                .build();
    }

    private static Map<String, Object> examplesRequest(String tag) {
        return Map.of(
                "prompt",
                "tree",
                "max_tokens",
                2,
                "examples",
                List.of(
                        Map.of("input", "abc" + NONCE + tag, "output", "cba"),
                        Map.of("input", "moon", "output", "noom")));
    }

    /** Trains a new adapter; its id. */
    private static String train(String tag) {
        return post(examplesRequest(tag))
                .then()
                .statusCode(200)
                .body("adapter.tier", equalTo("trained"))
                .extract()
                .path("adapter.id");
    }

    private static Response post(Map<String, Object> body) {
        return given().contentType(ContentType.JSON).body(body).when().post("/v1/generate");
    }

    private static Response generateWith(String id) {
        return post(Map.of("prompt", "tree", "adapter", id, "max_tokens", 2));
    }

    private static Response cacheCheck() {
        return given().when().get("/q/health/ready");
    }

    private static String fingerprint() {
        return given().when().get("/v1/models").then().statusCode(200).extract().path("data[0].fingerprint");
    }

    private static String redisKey(String id) {
        return "as:adapter:" + id;
    }

    private String s3Key(String id) {
        return "adapters/" + fingerprint() + "/" + id;
    }

    private static String randomId() {
        byte[] bytes = new byte[32];
        ThreadLocalRandom.current().nextBytes(bytes);
        return "sha256:" + HexFormat.of().formatHex(bytes);
    }

    /** Sum of the Prometheus samples named {@code name} (with or without labels). */
    private static double metric(String name) {
        String metrics = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + PATIENCE + ": " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }
}
