package ai.adaptserve.function.auth;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Turns a request's {@code Authorization} and {@code X-Tenant} headers into its {@link Caller}, or refuses it.
 *
 * <p>With a keys file: no key or an unknown one is 401 {@code unauthorized} with {@code WWW-Authenticate: Bearer}; a
 * key over its rate is 429 {@code rate_limited} with {@code Retry-After}; the tenant is the key's, and
 * {@code X-Tenant} picks another one for admin keys only (anyone else's is ignored). Without a keys file the service
 * is open and {@code X-Tenant} picks the tenant, as it always did.
 */
@ApplicationScoped
public class Authenticator {

    private static final Logger LOG = Logger.getLogger(Authenticator.class);

    static final String BEARER = "bearer ";
    static final String CHALLENGE = "Bearer realm=\"adaptserve\"";

    private final ApiKeys keys;
    private final RateLimiter rates;
    private final AuthMetrics metrics;

    Authenticator(ApiKeys keys, RateLimiter rates, AuthMetrics metrics) {
        this.keys = keys;
        this.rates = rates;
        this.metrics = metrics;
    }

    /**
     * Says at start-up whether the service is open. Observing start-up creates this bean and so its dependencies
     * ({@code @Singleton}, no proxies): a malformed keys file or a bad rate stops start-up, and the rejection counters
     * exist from the start.
     */
    void onStart(@Observes StartupEvent event) {
        if (!keys.enabled()) {
            LOG.warnf(
                    "Authentication is off: %s is not set, so the service is open: every request is served and"
                            + " X-Tenant picks its tenant",
                    ApiKeys.KEYS_FILE);
            return;
        }
        long tenants = keys.keys().stream().map(ApiKey::tenant).distinct().count();
        long admins = keys.keys().stream().filter(ApiKey::admin).count();
        LOG.infof(
                "Authentication is on: %d API keys (%d admin) for %d tenants from %s; %s requests per second per key,"
                        + " burst %d",
                keys.keys().size(), admins, tenants, keys.file().orElseThrow(), rates.ratePerSecond(), rates.burst());
    }

    /**
     * The caller of a request with these headers.
     *
     * @param authorization the {@code Authorization} header, or null
     * @param tenantHeader the {@code X-Tenant} header, or null
     * @throws ApiException 401, 429, or 400 for a malformed {@code X-Tenant} that counts
     */
    public Caller authenticate(String authorization, String tenantHeader) {
        if (!keys.enabled()) {
            return new Caller(Tenants.fromHeader(tenantHeader), Optional.empty());
        }
        if (authorization == null || authorization.isBlank()) {
            throw unauthorized(
                    AuthMetrics.Reason.MISSING, "an API key is required: send Authorization: Bearer <key>", CHALLENGE);
        }
        if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw unauthorized(
                    AuthMetrics.Reason.INVALID,
                    "the Authorization header must be Bearer <key>",
                    CHALLENGE + ", error=\"invalid_request\"");
        }
        String presented = authorization.substring(BEARER.length()).strip();
        ApiKey key = keys.match(presented)
                .orElseThrow(() -> unauthorized(
                        AuthMetrics.Reason.INVALID,
                        "the API key is not valid",
                        CHALLENGE + ", error=\"invalid_token\""));
        long waitNanos = rates.acquire(key);
        if (waitNanos > 0) {
            metrics.rejected(AuthMetrics.Reason.RATE_LIMITED);
            long retryAfter = Math.max(1, (waitNanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
            throw new ApiException(
                    429,
                    ErrorCodes.RATE_LIMITED,
                    "this API key is over its rate limit of " + rate(rates.ratePerSecond())
                            + " requests per second (adaptserve.auth.rate-per-second, burst " + rates.burst()
                            + "); retry after " + retryAfter + " s",
                    Map.of("Retry-After", Long.toString(retryAfter)));
        }
        Optional<String> tenant = key.admin() ? Tenants.fromHeader(tenantHeader) : Optional.empty();
        return new Caller(Optional.of(tenant.orElse(key.tenant())), Optional.of(key));
    }

    private ApiException unauthorized(AuthMetrics.Reason reason, String message, String challenge) {
        metrics.rejected(reason);
        return new ApiException(401, ErrorCodes.UNAUTHORIZED, message, Map.of("WWW-Authenticate", challenge));
    }

    /** {@code 10}, not {@code 10.0}; {@code 0.5} as it is. */
    static String rate(double r) {
        return new BigDecimal(Double.toString(r)).stripTrailingZeros().toPlainString();
    }
}
