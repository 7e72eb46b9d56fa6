package ai.adaptserve.function.api;

import ai.adaptserve.function.settings.AdaptServeConfig;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * HTTP-level guards that run before the REST layer: a body announced larger than
 * {@code adaptserve.limits.max-body-bytes} is refused with 413 before a byte of it is read, and the few errors that
 * the HTTP server itself produces (no route, a failure outside the REST layer) are answered in the API's JSON shape,
 * never as an HTML page. Bodies without a {@code Content-Length} are limited while they are read
 * ({@link BoundedBody}).
 */
@ApplicationScoped
public class HttpGuards {

    /** Runs before Quarkus' own upload limit (order -2), which answers with an empty body. */
    static final int ORDER = -3;

    private static final Logger LOG = Logger.getLogger(HttpGuards.class);

    private final long maxBodyBytes;
    private final ObjectMapper json;
    private final ApiMetrics metrics;

    HttpGuards(AdaptServeConfig config, ObjectMapper json, ApiMetrics metrics) {
        this.maxBodyBytes = config.limits().maxBodyBytes();
        this.json = json;
        this.metrics = metrics;
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::limitAnnouncedBody);
        router.route().order(ORDER).failureHandler(this::failure);
        for (int status : new int[] {400, 404, 405, 413, 500}) {
            router.errorHandler(status, ctx -> failure(ctx));
        }
    }

    private void limitAnnouncedBody(RoutingContext ctx) {
        HttpMethod method = ctx.request().method();
        if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
            ctx.next();
            return;
        }
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            long announced;
            try {
                announced = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                announced = -1;
            }
            if (announced < 0) {
                reply(ctx, 400, ErrorCodes.INVALID_REQUEST, "Content-Length is not a valid length");
                return;
            }
            if (announced > maxBodyBytes) {
                reply(ctx, 413, ErrorCodes.BODY_TOO_LARGE, BoundedBody.tooLargeMessage(maxBodyBytes));
                return;
            }
        }
        ctx.next();
    }

    private void failure(RoutingContext ctx) {
        if (ctx.response().headWritten()) {
            // Part of an answer is out already; nothing in the API's shape can follow it.
            ctx.request().connection().close();
            return;
        }
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        if (ctx.failure() != null && status >= 500) {
            LOG.error("Unhandled HTTP failure", ctx.failure());
        }
        String message =
                status == 413 ? BoundedBody.tooLargeMessage(maxBodyBytes) : ErrorCodes.messageForStatus(status);
        reply(ctx, status, ErrorCodes.forStatus(status), message);
    }

    private void reply(RoutingContext ctx, int status, String code, String message) {
        String body;
        try {
            body = json.writeValueAsString(ErrorResponse.of(code, message));
        } catch (JsonProcessingException e) {
            body = "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}";
        }
        String path = ctx.normalizedPath();
        if (path.startsWith("/v1/")) {
            metrics.answered(ApiMetrics.endpoint(path), status, code);
        }
        var response = ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        if (status == 413 || status == 400) {
            // The body is left unread, so the connection cannot carry another request.
            response.putHeader(HttpHeaders.CONNECTION, "close");
            response.endHandler(v -> ctx.request().connection().close());
        }
        response.end(body);
    }
}
