package ai.adaptserve.function.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.impl.VertxBuilder;
import io.vertx.core.impl.transports.JDKTransport;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.spi.VertxServiceProvider;
import io.vertx.core.spi.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.jboss.logging.Logger;

/**
 * Answers the requests that the HTTP decoder itself refuses (a request line longer than
 * {@code quarkus.http.limits.max-initial-line-length}, headers larger than {@code max-header-size}, a request that is
 * not HTTP) with the API's JSON error, as every other non-2xx answer is: 414 {@code uri_too_long}, 431
 * {@code headers_too_large}, 400 {@code invalid_request}.
 *
 * <p>Why at the Netty level: Vert.x hands such a request to the server's {@code invalidRequestHandler} instead of the
 * router, and its default answers the same statuses with an empty body (or closes the connection without an answer,
 * for a malformed header). Quarkus creates the server and starts it listening in one step and offers no hook in
 * between, and the handler is copied into every connection when the server starts listening. What Vert.x does offer
 * is its transport SPI: {@link VertxServiceProvider} (registered in {@code META-INF/services}, picked up by Quarkus
 * like Vert.x's own providers) may replace the transport, whose {@code configure(NetServerOptions, …,
 * ServerBootstrap)} sees each server's bootstrap after Vert.x has set its per-connection initializer. We wrap that
 * initializer: once Vert.x has built a connection's HTTP/1 pipeline (at once, or on the first bytes when HTTP/2 over
 * cleartext is possible), a handler is placed right after its {@code httpEncoder}, where it sees each decoded request
 * before Vert.x's connection handler does and where what it writes is encoded as HTTP.
 *
 * <p>Fail-safe: only Vert.x's own JDK (NIO) transport is wrapped (the default; a native transport keeps today's
 * behaviour, with a warning), nothing but a request whose decoding failed is touched, and if a Vert.x upgrade renames
 * the pipeline's handlers, the handler is simply never placed and Vert.x answers as before ({@code
 * HttpErrorShapeTest} then fails).
 */
public final class DecoderErrors implements VertxServiceProvider {

    private static final Logger LOG = Logger.getLogger(DecoderErrors.class);

    /** The Vert.x handler after which ours goes: the decoded requests have passed it, our answers pass it. */
    static final String AFTER = "httpEncoder";

    /** Vert.x's connection handler, the last of an HTTP/1 (or plain TCP) pipeline. */
    static final String VERTX = "handler";

    static final String NAME = "adaptserveDecoderErrors";

    private static final String WATCH = "adaptserveDecoderErrorsPlacer";

    /** How long a refused request's connection stays open for the client to read the answer (as in HttpGuards). */
    static final long LINGER_MILLIS = HttpGuards.LINGER_MILLIS;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The body for each status; HttpGuards puts in one with the configured limits in its messages. */
    private static volatile IntFunction<String> bodies = DecoderErrors::genericBody;

    /** Called by Vert.x (through Quarkus) while it builds its instance: wraps the default transport. */
    @Override
    public void init(VertxBuilder builder) {
        Transport transport = builder.findTransport();
        if (transport == null || transport.getClass() != JDKTransport.class) {
            LOG.warnf(
                    "Vert.x transport %s is not the JDK one: requests refused by the HTTP decoder (request line or"
                            + " headers past quarkus.http.limits) keep Vert.x's empty answers",
                    transport == null ? null : transport.getClass().getName());
            return;
        }
        builder.findTransport(new JsonErrorsTransport());
    }

    /** The JSON body for a status, in the API's shape; {@code messages} gives the message for 400, 414 and 431. */
    static void answerWith(IntFunction<String> messages) {
        bodies = status -> body(status, messages.apply(status));
    }

    static String genericBody(int status) {
        return body(status, ErrorCodes.messageForStatus(status));
    }

    private static String body(int status, String message) {
        try {
            return JSON.writeValueAsString(ErrorResponse.of(ErrorCodes.forStatus(status), message));
        } catch (JsonProcessingException e) {
            return "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\",\"type\":\"server_error\","
                    + "\"param\":null}}";
        }
    }

    /**
     * The status for a request the decoder failed on, as Vert.x's default chooses it ({@code
     * HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER}), except that any other failure (an invalid header, an
     * unparseable Content-Length) is a 400 where Vert.x closes the connection without an answer.
     */
    static int statusFor(Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            String message = String.valueOf(cause.getMessage());
            if (message.startsWith("An HTTP line is larger than")) {
                return 414;
            }
            if (message.startsWith("HTTP header is larger than")) {
                return 431;
            }
        }
        return 400;
    }

    /** Vert.x's JDK transport, with HTTP servers' connections answering decoder failures in JSON. */
    static final class JsonErrorsTransport extends JDKTransport {
        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            super.configure(options, domainSocket, bootstrap);
            // Every TCP server comes here with its options as NetServerOptions (an HTTP server's too): the handler
            // is placed where the pipeline turns out to be Vert.x's HTTP/1 one.
            ChannelHandler vertxInitializer = bootstrap.config().childHandler();
            if (vertxInitializer == null) {
                LOG.warn("HTTP server without a connection initializer: decoder errors keep Vert.x's empty answers");
                return;
            }
            bootstrap.childHandler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel channel) {
                    channel.pipeline().addLast(vertxInitializer);
                    place(channel.pipeline());
                }
            });
        }
    }

    /**
     * Places the handler after Vert.x's HTTP encoder now, or on a later read if Vert.x has not built that pipeline yet;
     * nowhere if the connection's pipeline is built and is not HTTP/1 (its last handler, {@value #VERTX}, is there).
     */
    static void place(ChannelPipeline pipeline) {
        if (!answerAfterEncoder(pipeline) && pipeline.get(VERTX) == null) {
            pipeline.addLast(WATCH, new Placer());
        }
    }

    /** Adds the handler right after Vert.x's HTTP encoder, once, if that encoder is there; whether it is. */
    private static boolean answerAfterEncoder(ChannelPipeline pipeline) {
        if (pipeline.get(AFTER) == null) {
            return false;
        }
        if (pipeline.get(NAME) == null) {
            pipeline.addAfter(AFTER, NAME, new Answerer());
        }
        return true;
    }

    /**
     * Sits where Vert.x will add its HTTP/1 handlers after it (they are added on the first bytes when HTTP/2 over
     * cleartext is enabled, or after a TLS handshake); on each read, until they are there, it checks again.
     */
    private static final class Placer extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ChannelPipeline pipeline = ctx.pipeline();
            // Placed, or the pipeline is built and is not HTTP/1 (HTTP/2 with prior knowledge): nothing left to do.
            if (answerAfterEncoder(pipeline) || pipeline.get(VERTX) != null) {
                pipeline.remove(this);
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Answers a request whose decoding failed; passes everything else on untouched. Only when every earlier request on
     * the connection has its answer written in full: with HTTP/1.1 pipelining, an answer of ours written before
     * Vert.x's answer to an earlier request would be taken as that one's, so such a request goes to Vert.x instead
     * (which answers it in order, with its empty body).
     */
    static final class Answerer extends ChannelDuplexHandler {

        /** Requests passed on to Vert.x whose answer is not yet written in full. */
        private int unanswered;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HttpRequest request) || request.decoderResult().isSuccess() || unanswered > 0) {
                if (msg instanceof HttpRequest) {
                    unanswered++;
                }
                ctx.fireChannelRead(msg);
                return;
            }
            DecoderResult result = request.decoderResult();
            ReferenceCountUtil.release(msg);
            int status = statusFor(result.cause());
            byte[] body = bodies.apply(status).getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            // The decoder now discards whatever else the client sends. The connection stays open a while so that a
            // client still writing its request reads this answer instead of a reset (see HttpGuards.closeAfterLinger).
            ctx.writeAndFlush(response);
            ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            boolean informational = msg instanceof HttpResponse response
                    && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
            if (msg instanceof LastHttpContent && !informational && unanswered > 0) {
                unanswered--;
            }
            ctx.write(msg, promise);
        }
    }
}
