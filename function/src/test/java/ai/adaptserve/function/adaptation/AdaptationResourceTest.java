package ai.adaptserve.function.adaptation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.adaptserve.cache.AdapterCacheConfig;
import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.cache.AdapterKind;
import ai.adaptserve.cache.AdapterStore;
import ai.adaptserve.cache.TrainedAdapter;
import ai.adaptserve.function.ModelReady;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.prompt.Demonstration;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Adaptation against the real app, the real built-in model and the store's embedded tiers (memory and a local
 * directory under target/): test-time training on examples and on a document, reuse by id, metadata, and adapters
 * that are missing, malformed or corrupted. Examples carry a per-run nonce, so the first request always trains.
 */
@QuarkusTest
class AdaptationResourceTest {

    private static final String ID_PATTERN = "sha256:[0-9a-f]{64}";
    /** Unique per test JVM: adapters from earlier runs in the same directory never answer these requests. */
    private static final String NONCE = UUID.randomUUID().toString().substring(0, 8);

    @Inject
    TttRecipes recipes;

    @Inject
    AdapterStore store;

    @Inject
    AdapterCacheConfig cacheConfig;

    @Inject
    ForwardPassDecoder decoder;

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    private static List<Map<String, String>> examples(String tag) {
        return List.of(
                Map.of("input", "abc" + tag, "output", "cba"),
                Map.of("input", "hello", "output", "olleh"),
                Map.of("input", "moon", "output", "noom"));
    }

    private static String fingerprint() {
        return given().when().get("/v1/models").then().statusCode(200).extract().path("data[0].fingerprint");
    }

    /** Trains a new adapter for this test alone (examples tagged with this run's nonce and {@code tag}); its id. */
    private static String train(String tag) {
        return given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "tree", "examples", examples(NONCE + "-" + tag), "max_tokens", 4))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("adapter.tier", equalTo("trained"))
                .extract()
                .path("adapter.id");
    }

    /**
     * The adapter {@code id} of the served model as it is held in memory (parsed), written out again as an adapter file:
     * the bytes a tier would hold for it.
     */
    private AdapterFile.Read stored(String id) {
        return store.get(AdapterKey.of(fingerprint(), id))
                .orElseThrow()
                .adapter()
                .decoded(decoder);
    }

    /** Sum of the Prometheus samples {@code name{...}} whose labels contain {@code labels}. */
    private static double metric(String name, String labels) {
        String metrics = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if ((line.startsWith(name + "{") || line.startsWith(name + " ")) && line.contains(labels)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static String randomId() {
        byte[] bytes = new byte[32];
        ThreadLocalRandom.current().nextBytes(bytes);
        return "sha256:" + HexFormat.of().formatHex(bytes);
    }

    private Path localFile(String fingerprint, String id) {
        return cacheConfig
                .local()
                .dir()
                .toAbsolutePath()
                .resolve("adapters")
                .resolve(fingerprint)
                .resolve(id);
    }

    @Test
    void generate_examplesTwice_trainedThenFromMemory() {
        // Given examples no instance has seen (this run's nonce)
        Map<String, Object> body = Map.of("prompt", "tree", "examples", examples(NONCE + "-twice"), "max_tokens", 4);

        // When they are sent the first time
        var first = given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                // Then a LoRA is trained for them and answers
                .then()
                .statusCode(200)
                .body("adapter.id", matchesPattern(ID_PATTERN))
                .body("adapter.kind", equalTo("lora"))
                .body("adapter.tier", equalTo("trained"))
                .body("adapter.train_ms", greaterThanOrEqualTo(0))
                .body("usage.completion_tokens", lessThanOrEqualTo(4))
                .body("timings_ms.adapter", greaterThanOrEqualTo(0))
                .extract();
        String id = first.path("adapter.id");

        // When the same request is sent again
        given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                // Then the same adapter comes from memory, with no training
                .then()
                .statusCode(200)
                .body("adapter.id", equalTo(id))
                .body("adapter.tier", equalTo("memory"))
                .body("adapter.train_ms", equalTo(0))
                // And the answer is the same (greedy, same adapter)
                .body("text", equalTo(first.path("text")));
    }

    @Test
    void getAdapter_trained_metadata() {
        // Given an adapter trained on examples
        String id = train("metadata");

        // When its metadata is asked for
        given().when()
                .get("/v1/adapters/" + id)
                // Then it describes a LoRA of the served base model
                .then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .body("id", equalTo(id))
                .body("kind", equalTo("lora"))
                .body("base_fingerprint", equalTo(fingerprint()))
                .body("bytes", greaterThan(0))
                .body("created", notNullValue())
                .body("training.kind", equalTo("lora"))
                .body("training.steps", greaterThan(0))
                .body("targets", hasItem("0.q"))
                .body("rank", equalTo(4))
                .body("metadata.prompt_format", equalTo("in-out"))
                .body("metadata.trained_on", equalTo("examples"));
    }

    @Test
    void generate_adapterIdWithPlainPrompt_usesIt() {
        // Given the id of a trained adapter
        String id = train("by-id");

        // When a plain prompt is sent with it
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "tree", "adapter", id, "max_tokens", 4))
                .when()
                .post("/v1/generate")
                // Then it is answered with that adapter, from the cache
                .then()
                .statusCode(200)
                .body("adapter.id", equalTo(id))
                .body("adapter.kind", equalTo("lora"))
                .body("adapter.tier", equalTo("memory"))
                .body("adapter.train_ms", equalTo(0));
    }

    @Test
    void generate_unknownAdapterId_404NamingIt() {
        // Given a well-formed id that no tier holds
        String id = randomId();

        // When it is asked for, then the answer is 404 naming it
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "hi", "adapter", id, "max_tokens", 2))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("adapter_not_found"))
                .body("error.message", containsString(id));
        // And its metadata too
        given().when()
                .get("/v1/adapters/" + id)
                .then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("adapter_not_found"))
                .body("error.message", containsString(id));
    }

    @Test
    void malformedAdapterId_400NamingIt() {
        // When a malformed id is sent, then the answer is 400 naming the field
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "hi", "adapter", "sha256:XYZ"))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(400)
                .body("error.message", containsString("adapter"));
        // And for the metadata endpoint, naming the id
        given().when()
                .get("/v1/adapters/not-an-id")
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("error.message", containsString("id"));
    }

    @Test
    void generate_badExamples_400NamingField() {
        // When one example is sent (test-time training needs two), then 400 names examples
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "hi", "examples", List.of(Map.of("input", "a", "output", "b"))))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_request"))
                .body("error.message", containsString("examples"));
        // When an output is not a string, then 400 names it
        given().contentType(ContentType.JSON)
                .body("{\"prompt\": \"hi\", \"examples\": [{\"input\": \"a\", \"output\": \"b\"},"
                        + " {\"input\": \"c\", \"output\": 4}]}")
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(400)
                .body("error", aMapWithSize(4)) // code, message, and OpenAI's type and param
                .body("error.message", containsString("examples[1].output"));
        // When the tenant header is malformed, then 400 names it
        given().contentType(ContentType.JSON)
                .header("X-Tenant", "../etc")
                .body(Map.of("prompt", "hi"))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(400)
                .body("error.message", containsString("X-Tenant"));
    }

    @Test
    void generate_document_trainedLora() {
        // Given a short document no instance has seen
        String document = "Ada keeps the red key. Bo keeps the blue cup. Run " + NONCE + ".";

        // When a question about it is sent with it
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "Ada keeps the", "document", document, "max_tokens", 4))
                .when()
                .post("/v1/generate")
                // Then a LoRA is trained on the document and answers (the document is not in the prompt)
                .then()
                .statusCode(200)
                .body("adapter.kind", equalTo("lora"))
                .body("adapter.tier", equalTo("trained"))
                .body("adapter.id", matchesPattern(ID_PATTERN))
                .body("usage.prompt_tokens", lessThanOrEqualTo(20));
    }

    @Test
    void generate_adapterNoneWithExamples_inContextOnly() {
        // When examples are sent with adapter none, then they are used in context, without any adapter
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "tree", "examples", examples(NONCE), "adapter", "none", "max_tokens", 4))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("adapter.kind", equalTo("none"))
                .body("adapter.tier", equalTo("none"))
                .body("usage.prompt_tokens", greaterThan(30))
                .body("text", not(containsString("\n")));
    }

    @Test
    void generate_corruptedLocalFileForKnownKey_retrainedCleanly() throws IOException {
        // Given garbage planted where the local tier keeps the adapter of examples not trained yet
        List<Map<String, String>> examples = examples(NONCE + "-corrupt");
        String fingerprint = fingerprint();
        AdapterKey key = recipes.examplesKey(
                fingerprint,
                examples.stream()
                        .map(e -> new Demonstration(e.get("input"), e.get("output")))
                        .toList(),
                Optional.empty());
        Path file = localFile(fingerprint, key.id());
        Files.createDirectories(file.getParent());
        byte[] garbage = "ASAD not really an adapter".getBytes(StandardCharsets.UTF_8);
        Files.write(file, garbage);

        // When those examples are sent
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "tree", "examples", examples, "max_tokens", 2))
                .when()
                .post("/v1/generate")
                // Then the bad entry is dropped and the adapter trained again, with no error
                .then()
                .statusCode(200)
                .body("adapter.id", equalTo(key.id()))
                .body("adapter.tier", equalTo("trained"));
        // And the file now holds the trained adapter
        byte[] now = Files.readAllBytes(file);
        assertFalse(java.util.Arrays.equals(garbage, now), "the corrupted file was replaced");
        assertArrayEquals("ASAD".getBytes(StandardCharsets.US_ASCII), java.util.Arrays.copyOf(now, 4));
    }

    @Test
    void generate_corruptedLocalFileForUnknownId_404NotA500() throws IOException {
        // Given garbage planted under an id nothing was trained for
        String fingerprint = fingerprint();
        String id = randomId();
        Path file = localFile(fingerprint, id);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});

        // When that id is asked for
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "hi", "adapter", id, "max_tokens", 2))
                .when()
                .post("/v1/generate")
                // Then it is a clean miss: 404 in JSON
                .then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("adapter_not_found"));
        // And the bad entry is gone
        assertFalse(Files.exists(file), "the corrupted entry is deleted");
    }

    @Test
    void generate_storedPayloadNotAnAdapter_422NotUsed() {
        // Given an entry whose envelope is intact but whose payload is not an adapter file
        String fingerprint = fingerprint();
        String id = randomId();
        store.put(
                AdapterKey.of(fingerprint, id),
                TrainedAdapter.of(AdapterKind.LORA, "not safetensors at all".getBytes(StandardCharsets.UTF_8)));

        // When it is asked for
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "hi", "adapter", id, "max_tokens", 2))
                .when()
                .post("/v1/generate")
                // Then it is refused as invalid, in JSON, without a stack trace
                .then()
                .statusCode(422)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("adapter_invalid"))
                .body("error.message", containsString(id))
                .body("error.message", not(containsString("Exception")));
        given().when().get("/v1/adapters/" + id).then().statusCode(422).body("error.code", equalTo("adapter_invalid"));
    }

    @Test
    void tenant_adapterInvisibleToOtherTenants() {
        // Given an adapter trained in tenant a's namespace
        Map<String, Object> body = Map.of("prompt", "tree", "examples", examples(NONCE + "-tenant"), "max_tokens", 2);
        String id = given().contentType(ContentType.JSON)
                .header("X-Tenant", "tenant-a")
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .body("adapter.tier", equalTo("trained"))
                .extract()
                .path("adapter.id");

        // When it is asked for by id without a tenant, then it is not found
        given().when().get("/v1/adapters/" + id).then().statusCode(404);
        // And generating with it as another tenant is answered exactly like an id nobody trained
        String unknown = randomId();
        String asOther = given().contentType(ContentType.JSON)
                .header("X-Tenant", "tenant-b")
                .body(Map.of("prompt", "tree", "adapter", id, "max_tokens", 2))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("adapter_not_found"))
                .extract()
                .asString();
        String asUnknown = given().contentType(ContentType.JSON)
                .header("X-Tenant", "tenant-b")
                .body(Map.of("prompt", "tree", "adapter", unknown, "max_tokens", 2))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(404)
                .extract()
                .asString();
        assertEquals(asUnknown.replace(unknown, "<id>"), asOther.replace(id, "<id>"));
        // And with the tenant, it is
        given().header("X-Tenant", "tenant-a")
                .when()
                .get("/v1/adapters/" + id)
                .then()
                .statusCode(200)
                .body("id", equalTo(id));
    }

    @Test
    void readinessAndMetrics_showCacheTiersAndAdaptation() {
        // Given the meters before one new adaptation
        double trainings = metric("adaptserve_adapter_training_seconds_count", "data=\"examples\"");
        double trainedAnswers = metric("adaptserve_adaptations_total", "tier=\"trained\"");
        double parsedOk = metric("adaptserve_adapter_parse_seconds_count", "result=\"ok\"");
        double cacheTrainings = metric("adapter_cache_trainings_started_total", "");
        train("metrics");

        // When readiness is asked for, then the cache check is UP and shows its tiers
        given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'adapter-cache' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'adapter-cache' }.data.redis", equalTo("off"))
                .body("checks.find { it.name == 'adapter-cache' }.data.local", equalTo("up"));

        // When the metrics are scraped, then each meter counted that one training, answer and parse exactly once
        assertEquals(trainings + 1, metric("adaptserve_adapter_training_seconds_count", "data=\"examples\""));
        assertEquals(trainedAnswers + 1, metric("adaptserve_adaptations_total", "tier=\"trained\""));
        assertEquals(parsedOk + 1, metric("adaptserve_adapter_parse_seconds_count", "result=\"ok\""));
        assertEquals(cacheTrainings + 1, metric("adapter_cache_trainings_started_total", ""));
        assertEquals(1, metric("adapter_cache_tier_up", "tier=\"local\""));
    }

    /** A stored adapter file whose bytes were changed after it was written fails its checksum: 422, never used. */
    @Test
    void generate_adapterWithTamperedChecksum_422() {
        // Given a trained adapter's file with one byte of its last tensor changed, stored under a new id
        AdapterFile.Read read = stored(train("tamper"));
        byte[] bytes = AdapterFile.toBytes(read.adapter(), read.metadata());
        bytes[bytes.length - 1] ^= 0x01;
        String id = randomId();
        store.put(AdapterKey.of(fingerprint(), id), TrainedAdapter.of(AdapterKind.LORA, bytes));

        // When it is used, or its metadata asked for, then it is refused naming the checksum
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "tree", "adapter", id, "max_tokens", 2))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(422)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("adapter_invalid"))
                .body("error.message", containsString("checksum"));
        given().when().get("/v1/adapters/" + id).then().statusCode(422).body("error.code", equalTo("adapter_invalid"));
    }

    /** An intact adapter file made for another base model is refused (422) even when stored under this model. */
    @Test
    void generate_adapterOfAnotherBaseModel_422() {
        // Given a trained adapter rewritten, checksum and all, as the adapter of another base model
        String fingerprint = fingerprint();
        AdapterFile.Read read = stored(train("other-base"));
        String otherBase = "sha256:" + "0".repeat(64);
        byte[] other = AdapterFile.toBytes(
                read.adapter(),
                new AdapterFile.Metadata(
                        otherBase, read.metadata().created(), read.metadata().training()));
        String id = randomId();
        store.put(AdapterKey.of(fingerprint, id), TrainedAdapter.of(AdapterKind.LORA, other));

        // When it is used, then it is refused naming both base models
        given().contentType(ContentType.JSON)
                .body(Map.of("prompt", "tree", "adapter", id, "max_tokens", 2))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(422)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo("adapter_invalid"))
                .body("error.message", containsString(otherBase))
                .body("error.message", containsString(fingerprint));
    }
}
