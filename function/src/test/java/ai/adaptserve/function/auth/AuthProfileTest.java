package ai.adaptserve.function.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real app with a keys file: 401 without a key or with a wrong one, the tenant taken from the key (X-Tenant counts
 * for admin keys only), another tenant's adapter answered exactly like an unknown one, and the per-key rate. Named
 * {@code *ProfileTest}: it has its own profile, so it runs in its own JVM (see function/pom.xml).
 */
@QuarkusTest
@TestProfile(AuthProfileTest.WithKeys.class)
class AuthProfileTest {

    static final String ACME_KEY = "acme-7d1f4c0e9b2a";
    static final String GLOBEX_KEY = "globex-5e8a3b61c0d4";
    static final String ADMIN_KEY = "ops-admin-90ab12cd34ef";
    static final String RATE_KEY = "rate-3c4d5e6f7a8b";

    /** A keys file in a temporary directory; a low rate with room for the few requests each test sends. */
    public static final class WithKeys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path dir = Files.createTempDirectory("adaptserve-auth-test");
                Path file = dir.resolve("keys");
                Files.writeString(file, """
                        # tenant  sha256(key)  [admin]
                        acme %s
                        globex %s
                        ops %s admin

                        ratelimited %s
                        """.formatted(
                                AuthKeysFileTest.hex(ACME_KEY),
                                AuthKeysFileTest.hex(GLOBEX_KEY),
                                AuthKeysFileTest.hex(ADMIN_KEY),
                                AuthKeysFileTest.hex(RATE_KEY)));
                file.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
                return Map.of(
                        "adaptserve.auth.keys-file", file.toString(),
                        "adaptserve.auth.rate-per-second", "1",
                        "adaptserve.auth.burst", "10");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The README's few-shot request (recolour 9 to 2, then let the colours fall right). */
    private static final Map<String, Object> README_REQUEST = Map.of(
            "prompt",
            "00999000",
            "examples",
            List.of(
                    Map.of("input", "9099905500", "output", "0000222255"),
                    Map.of("input", "00900111", "output", "00002111"),
                    Map.of("input", "00990006", "output", "00000226")));

    private static String acmeAdapter;

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    private static RequestSpecification as(String key) {
        return given().header("Authorization", "Bearer " + key);
    }

    private static String randomId() {
        byte[] bytes = new byte[32];
        ThreadLocalRandom.current().nextBytes(bytes);
        return "sha256:" + HexFormat.of().formatHex(bytes);
    }

    /** The adapter acme trains on the README's request (once per app). */
    private static synchronized String acmeAdapter() {
        if (acmeAdapter == null) {
            acmeAdapter = as(ACME_KEY)
                    .contentType(ContentType.JSON)
                    .body(README_REQUEST)
                    .when()
                    .post("/v1/generate")
                    .then()
                    .statusCode(200)
                    .body("adapter.kind", equalTo("lora"))
                    .extract()
                    .path("adapter.id");
        }
        return acmeAdapter;
    }

    @Test
    void noKeyOrWrongKey_401Json() {
        // Without a key: every API endpoint, whatever the method or path, and before the body is read
        for (String path : List.of("/v1/models", "/v1/adapters/" + randomId(), "/v1/adapters/not-an-id", "/v1/nope")) {
            given().when()
                    .get(path)
                    .then()
                    .statusCode(401)
                    .contentType(ContentType.JSON)
                    .header("WWW-Authenticate", startsWith("Bearer"))
                    // AdaptServe's error object is also OpenAI's: code, message, type, param
                    .body("error", aMapWithSize(4))
                    .body("error.type", equalTo("authentication_error"))
                    .body("error.code", equalTo("unauthorized"))
                    .body("error.message", containsString("Authorization: Bearer"));
        }
        given().contentType(ContentType.JSON)
                .body(README_REQUEST)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer"))
                .body("error.code", equalTo("unauthorized"));
        // The OpenAI-compatible routes go through the same filter
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            given().contentType(ContentType.JSON)
                    .body(Map.of("model", "base", "prompt", "x"))
                    .when()
                    .post(path)
                    .then()
                    .statusCode(401)
                    .body("error.type", equalTo("authentication_error"))
                    .body("error.code", equalTo("unauthorized"));
        }

        // With a wrong key, a key's hash instead of the key, or another scheme
        for (String authorization : List.of(
                "Bearer not-a-key", "Bearer " + AuthKeysFileTest.hex(ACME_KEY), "Basic " + ACME_KEY, ACME_KEY)) {
            given().header("Authorization", authorization)
                    .contentType(ContentType.JSON)
                    .body(Map.of("prompt", "hi", "max_tokens", 1))
                    .when()
                    .post("/v1/generate")
                    .then()
                    .statusCode(401)
                    .contentType(ContentType.JSON)
                    .header("WWW-Authenticate", startsWith("Bearer"))
                    .body("error.code", equalTo("unauthorized"))
                    .body(
                            "error.message",
                            equalTo(
                                    authorization.startsWith("Bearer")
                                            ? "the API key is not valid"
                                            : "the Authorization header must be Bearer <key>"));
        }
        // A tenant header is no way in
        given().header("X-Tenant", "acme").when().get("/v1/models").then().statusCode(401);
    }

    private static List<String> modelIds(RequestSpecification caller) {
        return caller.when().get("/v1/models").then().statusCode(200).extract().path("data.id");
    }

    @Test
    void models_listOnlyTheCallersAdapters() {
        // Given an adapter acme trained
        String id = acmeAdapter();

        // When each caller lists the models
        List<String> acme = modelIds(as(ACME_KEY));
        List<String> globex = modelIds(as(GLOBEX_KEY));
        List<String> adminAsAcme = modelIds(as(ADMIN_KEY).header("X-Tenant", "acme"));

        // Then acme (and an admin acting for acme) sees it, as a child of the base model; globex does not
        assertTrue(acme.contains(id), acme.toString());
        assertTrue(adminAsAcme.contains(id), adminAsAcme.toString());
        assertFalse(globex.contains(id), globex.toString());
        String base = as(ACME_KEY).when().get("/v1/models").then().extract().path("data[0].id");
        as(ACME_KEY)
                .when()
                .get("/v1/models")
                .then()
                .body("data.find { it.id == '" + id + "' }.parent", equalTo(base))
                .body("data.find { it.id == '" + id + "' }.kind", equalTo("adapter"));
        // and globex, which never trained, lists no adapter at all
        assertTrue(globex.stream().noneMatch(m -> m.startsWith("sha256:")), globex.toString());
    }

    @Test
    void goodKey_200() {
        as(ACME_KEY).when().get("/v1/models").then().statusCode(200);
        as(GLOBEX_KEY)
                .contentType(ContentType.JSON)
                .body(Map.of("prompt", "hi", "max_tokens", 1))
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200);
    }

    @Test
    void healthAndMetrics_open() {
        given().when().get("/v1/models").then().statusCode(401);

        given().when().get("/q/health/live").then().statusCode(200);
        given().when().get("/q/health/ready").then().statusCode(200);
        given().when().get("/q/openapi").then().statusCode(200);
        given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString("adaptserve_auth_rejected_total{reason=\"missing\""))
                .body(containsString("adaptserve_auth_rejected_total{reason=\"rate_limited\""));
    }

    @Test
    void otherTenantsAdapter_answeredLikeAnUnknownId() {
        // Given an adapter acme trained
        String id = acmeAdapter();
        as(ACME_KEY).when().get("/v1/adapters/" + id).then().statusCode(200).body("id", equalTo(id));
        String unknown = randomId();

        // When globex reads it, and reads an id nobody has: the same answer but for the id
        assertSameAnswer(
                as(GLOBEX_KEY).when().get("/v1/adapters/" + id).then().extract(),
                id,
                as(GLOBEX_KEY).when().get("/v1/adapters/" + unknown).then().extract(),
                unknown);

        // When globex generates with it, and with an id nobody has: the same answer but for the id
        assertSameAnswer(generate(as(GLOBEX_KEY), id), id, generate(as(GLOBEX_KEY), unknown), unknown);

        // And the answer names neither acme nor any tenant
        String body = as(GLOBEX_KEY).when().get("/v1/adapters/" + id).asString();
        assertFalse(body.contains("acme"), body);
        assertFalse(body.contains("globex"), body);
    }

    @Test
    void xTenant_ignoredForKeys_honouredForAdminKeys() {
        String id = acmeAdapter();

        // A non-admin key cannot reach another tenant with X-Tenant
        as(GLOBEX_KEY)
                .header("X-Tenant", "acme")
                .when()
                .get("/v1/adapters/" + id)
                .then()
                .statusCode(404)
                .body("error.code", equalTo("adapter_not_found"));
        assertEquals(
                404, generate(as(GLOBEX_KEY).header("X-Tenant", "acme"), id).statusCode());
        // nor leave its own: acme's X-Tenant for another tenant still finds acme's adapter
        as(ACME_KEY)
                .header("X-Tenant", "globex")
                .when()
                .get("/v1/adapters/" + id)
                .then()
                .statusCode(200);
        // and a malformed X-Tenant from a non-admin key is ignored, not an error
        as(ACME_KEY)
                .header("X-Tenant", "../etc")
                .when()
                .get("/v1/adapters/" + id)
                .then()
                .statusCode(200);

        // An admin key acts for its own tenant without X-Tenant, and for the one X-Tenant names
        as(ADMIN_KEY).when().get("/v1/adapters/" + id).then().statusCode(404);
        as(ADMIN_KEY)
                .header("X-Tenant", "acme")
                .when()
                .get("/v1/adapters/" + id)
                .then()
                .statusCode(200)
                .body("id", equalTo(id));
        assertEquals(200, generate(as(ADMIN_KEY).header("X-Tenant", "acme"), id).statusCode());
        as(ADMIN_KEY)
                .header("X-Tenant", "../etc")
                .when()
                .get("/v1/adapters/" + id)
                .then()
                .statusCode(400)
                .body("error.message", containsString("X-Tenant"));
    }

    @Test
    void overRate_429WithRetryAfterNamingTheLimit() {
        // Burst 10, then 1 per second: a quick run of requests runs out
        for (int i = 0; i < 100; i++) {
            ExtractableResponse<Response> r =
                    as(RATE_KEY).when().get("/v1/models").then().extract();
            if (r.statusCode() == 429) {
                assertTrue(i >= 10, "429 after only " + i + " requests");
                assertEquals("application/json", r.contentType().split(";")[0]);
                assertEquals("rate_limited", r.path("error.code"));
                String message = r.path("error.message");
                assertTrue(message.contains("adaptserve.auth.rate-per-second"), message);
                assertTrue(message.contains("1 requests per second"), message);
                int retryAfter = Integer.parseInt(r.header("Retry-After"));
                assertTrue(retryAfter >= 1 && retryAfter <= 2, "Retry-After " + retryAfter);
                // Other keys are not held up by this one
                as(ACME_KEY).when().get("/v1/models").then().statusCode(200);
                return;
            }
            assertEquals(200, r.statusCode());
        }
        fail("no 429 after 100 requests at burst 10 and 1 per second");
    }

    private static ExtractableResponse<Response> generate(RequestSpecification request, String adapter) {
        return request.contentType(ContentType.JSON)
                .body(Map.of("prompt", "00999000", "adapter", adapter, "max_tokens", 8))
                .when()
                .post("/v1/generate")
                .then()
                .extract();
    }

    /** Same status, content type and body once each answer's id is taken out. */
    private static void assertSameAnswer(
            ExtractableResponse<Response> theirs, String theirId, ExtractableResponse<Response> unknown, String id) {
        assertEquals(404, unknown.statusCode(), unknown.asString());
        assertEquals(unknown.statusCode(), theirs.statusCode(), theirs.asString());
        assertEquals(unknown.contentType(), theirs.contentType());
        assertEquals("adapter_not_found", theirs.path("error.code"));
        assertEquals(unknown.asString().replace(id, "<id>"), theirs.asString().replace(theirId, "<id>"));
    }
}
