package ai.adaptserve.function.auth;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.util.EnumMap;
import java.util.Map;

/** {@code adaptserve_auth_rejected_total{reason}}: API requests refused before they were read. */
@Singleton
public class AuthMetrics {

    public static final String REJECTED = "adaptserve.auth.rejected";

    /** Why a request was refused. */
    public enum Reason {
        /** No {@code Authorization} header (401). */
        MISSING("missing"),
        /** Not {@code Bearer <key>}, or a key that is not in the keys file (401). */
        INVALID("invalid"),
        /** The key is over {@code adaptserve.auth.rate-per-second} (429). */
        RATE_LIMITED("rate_limited");

        private final String tag;

        Reason(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    private final Map<Reason, Counter> counters = new EnumMap<>(Reason.class);

    public AuthMetrics(MeterRegistry registry) {
        for (Reason r : Reason.values()) {
            counters.put(
                    r,
                    Counter.builder(REJECTED)
                            .description("API requests refused by authentication or the per-key rate, by reason")
                            .tag("reason", r.tag())
                            .register(registry));
        }
    }

    void rejected(Reason reason) {
        counters.get(reason).increment();
    }
}
