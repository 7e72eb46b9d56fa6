package ai.adaptserve.function.api;

import java.util.Map;

/**
 * A request that cannot be answered with 200, and how to tell the client: the status, a stable code and a message
 * naming the offending field. Mapped to {@link ErrorResponse} by {@link ApiExceptionMapper}. Carries no stack trace:
 * it is an answer, not a bug.
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient Map<String, String> headers;
    private final String param;

    public ApiException(int status, String code, String message, Map<String, String> headers) {
        this(status, code, message, headers, null);
    }

    private ApiException(int status, String code, String message, Map<String, String> headers, String param) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = Map.copyOf(headers);
        this.param = param;
    }

    public ApiException(int status, String code, String message) {
        this(status, code, message, Map.of());
    }

    /** 400 {@code invalid_request}: the message must name the field. */
    /** 429 {@code overloaded}: the instance is saturated ({@code why}); retry after {@code retryAfterSeconds}. */
    public static ApiException overloaded(String why, String retryAfterSeconds) {
        return new ApiException(
                429,
                ErrorCodes.OVERLOADED,
                "the instance is saturated (" + why + "); retry after " + retryAfterSeconds + " s",
                Map.of("Retry-After", retryAfterSeconds));
    }

    public static ApiException invalid(String message) {
        return new ApiException(400, ErrorCodes.INVALID_REQUEST, message);
    }

    /** 400 {@code invalid_request} about {@code param}, the field the message names. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, ErrorCodes.INVALID_REQUEST, message, Map.of(), param);
    }

    /** This error, saying which request field it is about ({@code param} of the error body). */
    public ApiException about(String param) {
        return new ApiException(status, code, getMessage(), headers, param);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** Extra response headers, such as {@code Retry-After}. */
    public Map<String, String> headers() {
        return headers;
    }

    public ErrorResponse body() {
        return ErrorResponse.of(code, getMessage(), param);
    }
}
