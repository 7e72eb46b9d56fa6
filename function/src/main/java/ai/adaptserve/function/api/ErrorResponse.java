package ai.adaptserve.function.api;

/**
 * The body of every error answer: {@code {"error": {"code": "…", "message": "…"}}}.
 *
 * @param error what went wrong
 */
public record ErrorResponse(Detail error) {

    /**
     * @param code stable, machine-readable (for example {@code invalid_request})
     * @param message for people; names the offending field when there is one
     */
    public record Detail(String code, String message) {}

    public static ErrorResponse of(String code, String message) {
        return new ErrorResponse(new Detail(code, message));
    }
}
