package ai.adaptserve.function.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The body of every error answer: {@code {"error": {"code": "…", "message": "…", "type": "…", "param": …}}}. The
 * same object is OpenAI's error shape, so OpenAI clients read AdaptServe's errors on every route.
 *
 * @param error what went wrong
 */
public record ErrorResponse(Detail error) {

    /**
     * @param code stable, machine-readable (for example {@code invalid_request})
     * @param message for people; names the offending field when there is one
     * @param type OpenAI's error class: {@code invalid_request_error}, {@code authentication_error}, {@code
     *     rate_limit_error} or {@code server_error}
     * @param param the request field the error is about, when one is known; else null
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(String code, String message, String type, String param) {}

    public static ErrorResponse of(String code, String message) {
        return of(code, message, null);
    }

    public static ErrorResponse of(String code, String message, String param) {
        return new ErrorResponse(new Detail(code, message, typeOf(code), param));
    }

    /** OpenAI's error type for one of {@link ErrorCodes}. */
    static String typeOf(String code) {
        return switch (code) {
            case ErrorCodes.UNAUTHORIZED -> "authentication_error";
            case ErrorCodes.RATE_LIMITED, ErrorCodes.OVERLOADED -> "rate_limit_error";
            case ErrorCodes.INTERNAL,
                    ErrorCodes.MODEL_LOADING,
                    ErrorCodes.MODEL_UNAVAILABLE,
                    ErrorCodes.ADAPTER_TRAINING,
                    ErrorCodes.TRAINING_TIMEOUT -> "server_error";
            default -> "invalid_request_error";
        };
    }
}
