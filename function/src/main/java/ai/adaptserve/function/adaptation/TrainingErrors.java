package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterCacheException;
import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/** Why a test-time training gave no adapter, and what the client is told about it. */
final class TrainingErrors {
    private TrainingErrors() {}

    private static final Logger LOG = Logger.getLogger(TrainingErrors.class);

    /** {@code Retry-After} of a 429 or 503 about trainings and the store, in seconds. */
    static final String RETRY_AFTER_SECONDS = "5";

    /** 503 {@code adapter_store_unavailable}: a tier that may hold the adapter cannot be read now. */
    static ApiException storeUnavailable() {
        return new ApiException(
                503,
                ErrorCodes.ADAPTER_STORE_UNAVAILABLE,
                "the adapter store is unavailable; the adapter may exist: retry after " + RETRY_AFTER_SECONDS + " s",
                Map.of("Retry-After", RETRY_AFTER_SECONDS));
    }

    /** The request's data could not be trained on (too short, too long): the client's doing, answered 422. */
    static final class UnusableData extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnusableData(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /** The training hit {@code max-wall-time}: answered 503, nothing cached, a later request trains again. */
    static final class TrainingCutShort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TrainingCutShort(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The answer to a request whose adapter of {@code key}, to be trained on its {@code data}, did not come: 503
     * {@code adapter_training} while it is still training, 503 {@code training_timeout} when cut short, 422
     * {@code training_failed} for unusable data, 503 when shutting down, else 500 with a reference to the log.
     */
    static ApiException toApi(AdapterCacheException e, AdapterKey key, String data) {
        return switch (e) {
            case AdapterCacheException.WaitTimedOut w ->
                new ApiException(
                        503,
                        ErrorCodes.ADAPTER_TRAINING,
                        "the adapter " + key.id() + " is still being trained; send the same request again shortly",
                        Map.of("Retry-After", "5"));
            case AdapterCacheException.TrainingFailed f
            when f.getCause() instanceof TrainingCutShort cut -> {
                LOG.warnf("Test-time training of %s: %s", key.qualifiedId(), cut.getMessage());
                yield new ApiException(
                        503,
                        ErrorCodes.TRAINING_TIMEOUT,
                        "test-time training took longer than this instance allows; try again later",
                        Map.of("Retry-After", "5"));
            }
            case AdapterCacheException.TrainingFailed f
            when f.getCause() instanceof UnusableData u ->
                new ApiException(
                        422,
                        ErrorCodes.TRAINING_FAILED,
                        "test-time training on the " + data + " failed: " + u.getMessage());
            case AdapterCacheException.Overloaded o ->
                new ApiException(
                        429,
                        ErrorCodes.OVERLOADED,
                        "the instance is saturated (" + o.getMessage() + "); retry after " + RETRY_AFTER_SECONDS + " s",
                        Map.of("Retry-After", RETRY_AFTER_SECONDS));
            case AdapterCacheException.QuotaExceeded q ->
                new ApiException(
                        403,
                        ErrorCodes.QUOTA_EXCEEDED,
                        "the tenant's adapters have reached its storage quota of " + q.limitBytes()
                                + " bytes (adaptserve.cache.quota.max-bytes-per-tenant); no new adapter is trained");
            case AdapterCacheException.Unavailable u -> storeUnavailable();
            case AdapterCacheException.Interrupted i ->
                new ApiException(503, ErrorCodes.MODEL_UNAVAILABLE, "the instance is shutting down");
            default -> {
                String ref = UUID.randomUUID().toString();
                LOG.errorf(e, "Test-time training of %s failed (reference %s)", key.qualifiedId(), ref);
                yield new ApiException(500, ErrorCodes.TRAINING_FAILED, "test-time training failed; reference " + ref);
            }
        };
    }
}
