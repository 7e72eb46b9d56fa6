package ai.adaptserve.function.adaptation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import ai.adaptserve.cache.AdapterCacheConfig;
import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.cache.AdapterKind;
import ai.adaptserve.cache.TieredAdapterStore;
import ai.adaptserve.cache.TrainedAdapter;
import ai.adaptserve.function.ModelReady;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stored adapters with bounds, over HTTP: once a tenant's adapters reach its storage quota, its next training is refused
 * with 403 {@code quota_exceeded} naming the limit, while other tenants still train and the tenant's stored adapters
 * still work (the service is open here: {@code X-Tenant} picks the tenant); with an {@code hmac-key}, an entry written
 * without it (as by anyone who can write to the store but does not hold the key) is refused with 422.
 */
@QuarkusTest
@TestProfile(QuotaProfileTest.TinyQuota.class)
class QuotaProfileTest {

    public static final class TinyQuota implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "adaptserve.cache.quota.max-bytes-per-tenant", "1",
                    "adaptserve.cache.local.dir", "target/test-adapters-quota-" + UUID.randomUUID(),
                    "adaptserve.ttt.steps", "2",
                    "adaptserve.cache.hmac-key", "quota-profile-test-key-0123456789abcdef",
                    "adaptserve.ttt.warm-up", "false");
        }
    }

    @Inject
    AdapterCacheConfig cacheConfig;

    @BeforeEach
    void modelLoaded() {
        ModelReady.await();
    }

    private static String body(String nonce) {
        return """
                {"prompt": "xyz", "max_tokens": 1,
                 "examples": [{"input": "a%1$s", "output": "b"}, {"input": "c%1$s", "output": "d"}]}""".formatted(nonce);
    }

    private static io.restassured.response.ValidatableResponse generate(String tenant, String body) {
        return given().contentType(ContentType.JSON)
                .header("X-Tenant", tenant)
                .body(body)
                .when()
                .post("/v1/generate")
                .then();
    }

    @Test
    void generate_tenantOverItsQuota_is403NamingTheLimit() {
        String nonce = UUID.randomUUID().toString().substring(0, 8);
        generate("acme", body(nonce)).statusCode(200);

        generate("acme", body(nonce + "x"))
                .statusCode(403)
                .body("error.code", equalTo("quota_exceeded"))
                .body("error.message", containsString("1 bytes"))
                .body("error.message", containsString("max-bytes-per-tenant"));
        generate("acme", body(nonce)).statusCode(200); // stored adapters are still served
        generate("globex", body(nonce)).statusCode(200);
    }

    @Test
    void adapterById_entryPlantedWithoutTheKey_is422() {
        String fingerprint = given().when()
                .get("/v1/models")
                .then()
                .statusCode(200)
                .extract()
                .path("data[0].fingerprint");
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        String id = "sha256:" + HexFormat.of().formatHex(random);
        // A writer with access to the directory but not the key.
        AdapterCacheConfig planter = AdapterCacheConfig.builder()
                .local(cacheConfig.local())
                .memory(new AdapterCacheConfig.Memory(0))
                .build();
        try (TieredAdapterStore store = TieredAdapterStore.builder(planter).build()) {
            store.put(AdapterKey.of(fingerprint, id), TrainedAdapter.of(AdapterKind.LORA, new byte[] {1, 2, 3}));
        }

        given().when().get("/v1/adapters/" + id).then().statusCode(422).body("error.code", equalTo("adapter_invalid"));
    }
}
