package ai.adaptserve.function.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.api.ApiException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Headers to caller: keys, tenants, admin keys and the per-key token bucket, with a clock the test drives. */
class AuthenticatorTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Authenticator auth;

    @BeforeEach
    void keys(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("keys");
        Files.writeString(
                file,
                "alpha %s\nbeta %s\nops %s admin\n"
                        .formatted(
                                AuthKeysFileTest.hex("a-key"),
                                AuthKeysFileTest.hex("b-key"),
                                AuthKeysFileTest.hex("admin-key")));
        auth = new Authenticator(
                new ApiKeys(Optional.of(file)), new RateLimiter(2, 3, now::get), new AuthMetrics(registry));
    }

    private double rejected(String reason) {
        return registry.get(AuthMetrics.REJECTED)
                .tag("reason", reason)
                .counter()
                .count();
    }

    @Test
    void noKeyOrWrongKey_401WithChallenge() {
        for (String header : new String[] {null, "", "Basic YTpi", "Bearer", "Bearer wrong", "a-key"}) {
            ApiException e = assertThrows(ApiException.class, () -> auth.authenticate(header, null), header);
            assertEquals(401, e.status());
            assertEquals("unauthorized", e.code());
            assertTrue(e.headers().get("WWW-Authenticate").startsWith("Bearer"));
        }
        assertEquals(2, rejected("missing"));
        assertEquals(4, rejected("invalid"));
    }

    @Test
    void key_tenantFromKey_xTenantIgnored() {
        assertEquals(
                Optional.of("alpha"), auth.authenticate("Bearer a-key", null).tenant());
        assertEquals(
                Optional.of("alpha"),
                auth.authenticate("bearer  a-key ", "beta").tenant());
        // Even a malformed X-Tenant is ignored: it does not count for this key.
        assertEquals(
                Optional.of("beta"), auth.authenticate("Bearer b-key", "../etc").tenant());
    }

    @Test
    void adminKey_xTenantPicksTenant() {
        assertEquals(
                Optional.of("ops"), auth.authenticate("Bearer admin-key", null).tenant());
        assertEquals(
                Optional.of("alpha"),
                auth.authenticate("Bearer admin-key", "alpha").tenant());
        ApiException e = assertThrows(ApiException.class, () -> auth.authenticate("Bearer admin-key", "../etc"));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("X-Tenant"));
    }

    @Test
    void overRate_429WithRetryAfterNamingTheLimit_perKey() {
        // Burst 3, then 2 per second.
        for (int i = 0; i < 3; i++) {
            auth.authenticate("Bearer a-key", null);
        }
        ApiException e = assertThrows(ApiException.class, () -> auth.authenticate("Bearer a-key", null));
        assertEquals(429, e.status());
        assertEquals("rate_limited", e.code());
        assertEquals("1", e.headers().get("Retry-After"));
        assertTrue(e.getMessage().contains("adaptserve.auth.rate-per-second"), e.getMessage());
        assertTrue(e.getMessage().contains("2 requests per second"), e.getMessage());
        assertEquals(1, rejected("rate_limited"));

        // Another key has its own bucket.
        auth.authenticate("Bearer b-key", null);

        // Half a second later one more token is there, and only one.
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
        auth.authenticate("Bearer a-key", null);
        assertThrows(ApiException.class, () -> auth.authenticate("Bearer a-key", null));
    }

    @Test
    void open_xTenantAsBefore() {
        Authenticator open = new Authenticator(
                new ApiKeys(Optional.empty()), new RateLimiter(1, 1, now::get), new AuthMetrics(registry));

        assertEquals(Optional.empty(), open.authenticate(null, null).tenant());
        assertEquals(
                Optional.of("beta"),
                open.authenticate("Bearer whatever", "beta").tenant());
        for (int i = 0; i < 5; i++) {
            open.authenticate(null, "beta"); // no rate limit without keys
        }
        ApiException e = assertThrows(ApiException.class, () -> open.authenticate(null, "../etc"));
        assertEquals(400, e.status());
    }

    @Test
    void badRateOrBurst_configurationErrorNamingTheKey() {
        for (double rate : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            var e = assertThrows(ConfigurationException.class, () -> new RateLimiter(rate, 5, now::get));
            assertTrue(e.getMessage().startsWith("adaptserve.auth.rate-per-second"), e.getMessage());
        }
        var e = assertThrows(ConfigurationException.class, () -> new RateLimiter(1, 0, now::get));
        assertTrue(e.getMessage().startsWith("adaptserve.auth.burst"), e.getMessage());
    }

    @Test
    void tokenBucket_retryAfterIsTimeToNextToken() {
        TokenBucket bucket = new TokenBucket(0.5, 1, 0);
        assertEquals(0, bucket.tryTake(0));
        assertEquals(TimeUnit.SECONDS.toNanos(2), bucket.tryTake(0));
        assertEquals(TimeUnit.SECONDS.toNanos(1), bucket.tryTake(TimeUnit.SECONDS.toNanos(1)));
        assertEquals(0, bucket.tryTake(TimeUnit.SECONDS.toNanos(2)));
        assertEquals("0.5", Authenticator.rate(0.5));
        assertEquals("10", Authenticator.rate(10));
    }
}
