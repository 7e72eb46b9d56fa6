package ai.adaptserve.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects every problem of one configuration record, so that a bad configuration is reported in full (each problem
 * naming its key) rather than one key per start-up attempt.
 */
final class ConfigChecks {

    private final List<AdapterCacheConfig.Problem> problems = new ArrayList<>();

    /** Records a problem of {@code key} unless {@code ok}. */
    ConfigChecks require(boolean ok, String key, String message) {
        if (!ok) {
            problems.add(new AdapterCacheConfig.Problem(key, message));
        }
        return this;
    }

    ConfigChecks present(Object value, String key) {
        return require(value != null, key, "is required");
    }

    ConfigChecks positive(String key, Duration value) {
        if (value == null) {
            return present(null, key);
        }
        return require(value.isPositive(), key, "must be positive, got " + value);
    }

    ConfigChecks range(String key, long value, long min, long max) {
        return require(value >= min && value <= max, key, "must be in [" + min + ", " + max + "], got " + value);
    }

    /** Whether no problem was recorded yet (to skip checks that combine values already found bad). */
    boolean ok() {
        return problems.isEmpty();
    }

    /** Throws {@link AdapterCacheConfig.Invalid} with every problem recorded, if any. */
    void done() {
        if (!problems.isEmpty()) {
            throw new AdapterCacheConfig.Invalid(problems);
        }
    }
}
