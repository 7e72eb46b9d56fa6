package ai.adaptserve.function.api;

import ai.adaptserve.function.settings.AdaptServeConfig;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * HTTP-level guards that run before the REST layer: a request target longer than
 * {@code adaptserve.limits.max-uri-bytes} (414), headers larger than {@code adaptserve.limits.max-header-bytes} (431)
 * and a body announced larger than {@code adaptserve.limits.max-body-bytes} (413, before a byte of it is read) are
 * refused here, and the errors that the HTTP server itself produces (no route, a failure outside the REST layer) are
 * answered in the API's JSON shape, never as an HTML page or an empty body. Bodies without a {@code Content-Length}
 * are limited while they are read ({@link BoundedBody}).
 *
 * <p>Why our own 414 and 431: the API's limits are smaller than the HTTP decoder's
 * ({@code quarkus.http.limits.max-initial-line-length}, {@code max-header-size}, 64 KiB), so that a request between
 * the two is refused here with a message naming the API's limit and counted in the API metrics. A request past the
 * decoder's limits never reaches a route: {@link DecoderErrors} answers it, with the messages given here. {@link #reply} is the one place that shapes these answers (a path-specific shape,
 * such as another API's, would branch there).
 */
@ApplicationScoped
public class HttpGuards {

    /** Runs before Quarkus' own upload limit (order -2), which answers with an empty body. */
    static final int ORDER = -3;

    private static final Logger LOG = Logger.getLogger(HttpGuards.class);

    /** At most this much of a refused body is read and discarded before the connection is closed. */
    static final long LINGER_BYTES = 64L << 20;

    /** At most this long is spent discarding a refused body before the connection is closed. */
    static final long LINGER_MILLIS = 5_000;

    private final long maxBodyBytes;
    private final int maxUriBytes;
    private final int maxHeaderBytes;
    private final ObjectMapper json;
    private final ApiMetrics metrics;

    HttpGuards(AdaptServeConfig config, ObjectMapper json, ApiMetrics metrics) {
        this.maxBodyBytes = config.limits().maxBodyBytes();
        this.maxUriBytes = config.limits().maxUriBytes();
        this.maxHeaderBytes = config.limits().maxHeaderBytes();
        this.json = json;
        this.metrics = metrics;
    }

    void install(@Observes Router router) {
        DecoderErrors.answerWith(this::decoderMessage);
        router.route().order(ORDER).handler(this::limitRequest);
        router.route().order(ORDER).failureHandler(this::failure);
        for (int status : new int[] {400, 404, 405, 406, 413, 414, 415, 431, 500, 501, 503}) {
            router.errorHandler(status, ctx -> failure(ctx));
        }
    }

    private void limitRequest(RoutingContext ctx) {
        // Bytes on the wire are at least the characters: the request line was decoded as ASCII/ISO-8859-1.
        int uriBytes = ctx.request().uri().length();
        if (uriBytes > maxUriBytes) {
            reply(ctx, 414, ErrorCodes.URI_TOO_LONG, uriTooLong());
            return;
        }
        long headerBytes = 0;
        for (var header : ctx.request().headers()) {
            headerBytes += header.getKey().length() + header.getValue().length() + 4; // ": " and CRLF
        }
        if (headerBytes > maxHeaderBytes) {
            reply(ctx, 431, ErrorCodes.HEADERS_TOO_LARGE, headersTooLarge());
            return;
        }
        limitAnnouncedBody(ctx);
    }

    private String uriTooLong() {
        return "the request target is longer than " + maxUriBytes + " bytes";
    }

    private String headersTooLarge() {
        return "the request headers are larger than " + maxHeaderBytes + " bytes";
    }

    /** The message for a request that the HTTP decoder refused ({@link DecoderErrors}): past our limits too. */
    private String decoderMessage(int status) {
        return switch (status) {
            case 414 -> uriTooLong();
            case 431 -> headersTooLarge();
            default -> "the request is not valid HTTP/1.1";
        };
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
        String message;
        if (status >= 500) {
            message = UnexpectedExceptionMapper.logged(LOG, "Unhandled HTTP failure", ctx.failure());
        } else {
            message = status == 413 ? BoundedBody.tooLargeMessage(maxBodyBytes) : ErrorCodes.messageForStatus(status);
        }
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
        // The body is left unread, so the connection cannot carry another request.
        boolean bodyRefused = status == 413 || status == 400 || status == 414 || status == 431;
        if (bodyRefused) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        response.end(body);
        if (bodyRefused) {
            closeAfterLinger(ctx.vertx(), ctx.request());
        }
    }

    /**
     * Closes a connection whose request body was refused unread, after reading and discarding what the client is still
     * sending, up to {@link #LINGER_BYTES} or {@link #LINGER_MILLIS}. Why not close at once: a client that writes its
     * whole body before it reads (most do) gets a reset in the middle of its upload and sees "broken pipe" instead of
     * the 413 that is already on the wire; nginx's lingering close exists for the same reason.
     */
    private static void closeAfterLinger(Vertx vertx, HttpServerRequest request) {
        HttpConnection connection = request.connection();
        if (request.isEnded()) {
            connection.close();
            return;
        }
        long timer = vertx.setTimer(LINGER_MILLIS, id -> connection.close());
        long[] discarded = {0};
        request.handler(chunk -> {
            discarded[0] += chunk.length();
            if (discarded[0] > LINGER_BYTES) {
                vertx.cancelTimer(timer);
                connection.close();
            }
        });
        request.endHandler(v -> {
            vertx.cancelTimer(timer);
            connection.close();
        });
        request.exceptionHandler(e -> vertx.cancelTimer(timer));
        request.resume();
    }
}
