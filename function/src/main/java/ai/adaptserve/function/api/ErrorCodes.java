package ai.adaptserve.function.api;

/** The {@code error.code} values of the API. */
public final class ErrorCodes {
    private ErrorCodes() {}

    /** 400: the body is not JSON. */
    public static final String INVALID_JSON = "invalid_json";
    /**
     * 401: no API key, or one that is not in {@code adaptserve.auth.keys-file}; sent with
     * {@code WWW-Authenticate: Bearer}.
     */
    public static final String UNAUTHORIZED = "unauthorized";
    /** 429: the API key is over {@code adaptserve.auth.rate-per-second}; retry after {@code Retry-After} seconds. */
    public static final String RATE_LIMITED = "rate_limited";
    /** 400: a field is missing, unknown, of the wrong type or out of range; the message names it. */
    public static final String INVALID_REQUEST = "invalid_request";
    /**
     * The {@code adapter} asked for does not exist: 400 when it is not even a well-formed id ({@code sha256:} and 64
     * lower-case hex digits), 404 when no tier holds it.
     */
    public static final String ADAPTER_NOT_FOUND = "adapter_not_found";
    /** 422 (or 500 for one the server trained itself): the stored adapter failed verification and is not used. */
    public static final String ADAPTER_INVALID = "adapter_invalid";
    /** 503: the adapter is still being trained; retry after {@code Retry-After} seconds (the same request reuses it). */
    public static final String ADAPTER_TRAINING = "adapter_training";
    /** 422 (the request's data cannot be trained on) or 500: test-time training failed; nothing was cached. */
    public static final String TRAINING_FAILED = "training_failed";

    public static final String TRAINING_TIMEOUT = "training_timeout";
    /** 413: the document is longer than {@code adaptserve.limits.max-document-chars}. */
    public static final String DOCUMENT_TOO_LONG = "document_too_long";
    /** 404: the OpenAI-compatible routes' {@code model} is not the base model, one of its experts or an adapter. */
    public static final String MODEL_NOT_FOUND = "model_not_found";
    /** 400: a valid option this server does not offer (such as OpenAI's {@code tools}). */
    public static final String UNSUPPORTED = "unsupported";
    /** 404: no such endpoint or resource. */
    public static final String NOT_FOUND = "not_found";
    /** 405: the endpoint exists but not with this method. */
    public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
    /** 406: the client accepts no media type the endpoint produces. */
    public static final String NOT_ACCEPTABLE = "not_acceptable";
    /** 413: the body is larger than {@code adaptserve.limits.max-body-bytes}. */
    public static final String BODY_TOO_LARGE = "body_too_large";
    /** 414: the request target (path and query) is longer than {@code adaptserve.limits.max-uri-bytes}. */
    public static final String URI_TOO_LONG = "uri_too_long";
    /** 431: the request's headers are larger than {@code adaptserve.limits.max-header-bytes}. */
    public static final String HEADERS_TOO_LARGE = "headers_too_large";
    /** 413: the prompt is longer than {@code adaptserve.limits.max-prompt-chars} or the model's context. */
    public static final String PROMPT_TOO_LONG = "prompt_too_long";
    /** 415: the body's media type is not accepted. */
    public static final String UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type";
    /** 413: the request needs more keys and values (rows, or positions of a row) than the KV budget holds. */
    public static final String KV_BUDGET_EXCEEDED = "kv_budget_exceeded";
    /** 408: the request ended before it finished (its client went away, or it passed its deadline). */
    public static final String REQUEST_ABANDONED = "request_abandoned";
    /**
     * In a stream's {@code error} event: the client read so slowly that {@code adaptserve.engine.stream-buffer-events}
     * events waited unwritten, and its generation was cancelled.
     */
    public static final String CLIENT_TOO_SLOW = "client_too_slow";
    /**
     * 429: every generation slot and queue place is taken, or every training slot and training queue place
     * ({@code adaptserve.ttt.max-concurrent}, {@code max-queued}); retry after {@code Retry-After} seconds.
     */
    public static final String OVERLOADED = "overloaded";
    /**
     * 503: an adapter store tier (S3, the local directory) is down or timed out, or holds an entry this instance cannot
     * read; the adapter may exist. Retry after {@code Retry-After} seconds.
     */
    public static final String ADAPTER_STORE_UNAVAILABLE = "adapter_store_unavailable";
    /** 403: the tenant's adapters take up its {@code adaptserve.cache.quota.max-bytes-per-tenant}; no new training. */
    public static final String QUOTA_EXCEEDED = "quota_exceeded";
    /** 503: the model is still loading. */
    public static final String MODEL_LOADING = "model_loading";
    /** 503: the model failed to load, or the instance is shutting down. */
    public static final String MODEL_UNAVAILABLE = "model_unavailable";
    /** 500: a bug; the message carries an id to find the details in the logs. */
    public static final String INTERNAL = "internal";

    /** A code for an HTTP status that has no more specific one. */
    public static String forStatus(int status) {
        return switch (status) {
            case 400 -> INVALID_REQUEST;
            case 401 -> UNAUTHORIZED;
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 406 -> NOT_ACCEPTABLE;
            case 413 -> BODY_TOO_LARGE;
            case 414 -> URI_TOO_LONG;
            case 431 -> HEADERS_TOO_LARGE;
            case 422 -> "unprocessable";
            case 415 -> UNSUPPORTED_MEDIA_TYPE;
            case 429 -> OVERLOADED;
            case 503 -> MODEL_UNAVAILABLE;
            default -> status >= 500 ? INTERNAL : "http_" + status;
        };
    }

    /** A message for an HTTP status, without details of the request. */
    public static String messageForStatus(int status) {
        return switch (status) {
            case 400 -> "bad request";
            case 401 -> "an API key is required";
            case 404 -> "no such resource";
            case 405 -> "method not allowed on this resource";
            case 406 -> "no acceptable media type; this API produces application/json";
            case 413 -> "request body too large";
            case 414 -> "request target too long";
            case 431 -> "request headers too large";
            case 415 -> "unsupported media type; send application/json";
            case 429 -> "too many requests";
            case 503 -> "service unavailable";
            default -> status >= 500 ? "internal error" : "HTTP " + status;
        };
    }
}
