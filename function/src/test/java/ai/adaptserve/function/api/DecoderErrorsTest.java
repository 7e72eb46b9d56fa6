package ai.adaptserve.function.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.vertx.core.impl.VertxBuilder;
import io.vertx.core.impl.transports.JDKTransport;
import io.vertx.core.spi.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

/**
 * {@link DecoderErrors} on a Netty pipeline built as Vert.x builds its HTTP/1 one, and its fail-safe. The same over a
 * socket against the real server: {@link HttpErrorShapeTest}.
 */
class DecoderErrorsTest {

    @Test
    void init_wrapsVertxsJdkTransport() {
        VertxBuilder builder = new VertxBuilder().findTransport(JDKTransport.INSTANCE);

        new DecoderErrors().init(builder);

        assertInstanceOf(DecoderErrors.JsonErrorsTransport.class, builder.findTransport());
    }

    @Test
    void init_leavesAnotherTransportAlone() {
        Transport other = new OtherTransport();
        VertxBuilder builder = new VertxBuilder().findTransport(other);

        new DecoderErrors().init(builder);

        assertSame(other, builder.findTransport());
    }

    @Test
    void requestLinePastTheDecoderLimit_isAnsweredWithJson414_andNotPassedOn() {
        // Given a pipeline whose HTTP handlers Vert.x adds only after the first bytes (as with HTTP/2 over cleartext)
        Seen seen = new Seen();
        EmbeddedChannel channel = vertxLikePipeline(seen, true);

        // When a request line longer than the decoder allows arrives
        channel.writeInbound(bytes("GET /" + "a".repeat(100) + " HTTP/1.1\r\nHost: x\r\n\r\n"));

        // Then the answer is the API's JSON error, marked to close, and Vert.x's handler never saw a request
        String answer = answer(channel);
        assertTrue(answer.startsWith("HTTP/1.1 414 "), answer);
        assertTrue(answer.contains("content-type: application/json"), answer);
        assertTrue(answer.contains("connection: close"), answer);
        assertTrue(answer.contains("{\"error\":{\"code\":\"uri_too_long\",\"message\":"), answer);
        assertTrue(answer.endsWith("\"type\":\"invalid_request_error\",\"param\":null}}"), answer);
        assertEquals(0, seen.requests);
        assertNotNull(channel.pipeline().get(DecoderErrors.NAME));
    }

    @Test
    void headersPastTheDecoderLimit_isAnsweredWithJson431() {
        EmbeddedChannel channel = vertxLikePipeline(new Seen(), false);

        channel.writeInbound(bytes("GET / HTTP/1.1\r\nX-Padding: " + "b".repeat(300) + "\r\n\r\n"));

        String answer = answer(channel);
        assertTrue(answer.startsWith("HTTP/1.1 431 "), answer);
        assertTrue(answer.contains("\"code\":\"headers_too_large\""), answer);
    }

    @Test
    void validRequest_passesThroughUntouched() {
        Seen seen = new Seen();
        EmbeddedChannel channel = vertxLikePipeline(seen, true);

        channel.writeInbound(bytes("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"));

        assertEquals(1, seen.requests);
        assertNull(channel.readOutbound());
    }

    @Test
    void invalidRequestPipelinedBehindAnUnansweredOne_isLeftToVertx() {
        // Given a pipelined valid request whose answer Vert.x has not written yet
        Seen seen = new Seen();
        EmbeddedChannel channel = vertxLikePipeline(seen, true);

        // When an invalid request follows it on the same connection
        channel.writeInbound(
                bytes("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\nGET /" + "a".repeat(100) + " HTTP/1.1\r\n\r\n"));

        // Then nothing is written ahead of the first answer: both go to Vert.x, which answers in order
        assertEquals(2, seen.requests);
        assertNull(channel.readOutbound());
    }

    /**
     * A pipeline shaped as Vert.x's HTTP/1 one (decoder limits 64/256/256), with ours placed before Vert.x adds its
     * handlers (as for HTTP/2 over cleartext, where they come with the first bytes) or after.
     */
    private static EmbeddedChannel vertxLikePipeline(Seen vertx, boolean placeFirst) {
        EmbeddedChannel channel = new EmbeddedChannel();
        if (placeFirst) {
            DecoderErrors.place(channel.pipeline());
        }
        channel.pipeline().addLast("httpDecoder", new HttpRequestDecoder(64, 256, 256));
        channel.pipeline().addLast("httpEncoder", new HttpResponseEncoder());
        channel.pipeline().addLast("handler", vertx);
        if (!placeFirst) {
            DecoderErrors.place(channel.pipeline());
        }
        return channel;
    }

    @Test
    void statusFor_followsTheDecodersMessages() {
        assertEquals(
                414,
                DecoderErrors.statusFor(
                        new io.netty.handler.codec.TooLongFrameException("An HTTP line is larger than 4096 bytes.")));
        assertEquals(
                431,
                DecoderErrors.statusFor(
                        new io.netty.handler.codec.TooLongFrameException("HTTP header is larger than 8192 bytes.")));
        assertEquals(400, DecoderErrors.statusFor(new IllegalArgumentException("invalid version format: HTTP/9.X")));
    }

    private static ByteBuf bytes(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    }

    private static String answer(EmbeddedChannel channel) {
        StringBuilder out = new StringBuilder();
        Object written;
        while ((written = channel.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) written;
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        return out.toString();
    }

    /** Stands for Vert.x's connection handler: counts the requests that reach it. */
    private static final class Seen extends ChannelInboundHandlerAdapter {
        int requests;

        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                requests++;
            }
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    /** A transport that is not Vert.x's JDK one (as a native transport is not). */
    private static final class OtherTransport implements Transport {
        @Override
        public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
            throw new UnsupportedOperationException();
        }

        @Override
        public DatagramChannel datagramChannel() {
            throw new UnsupportedOperationException();
        }

        @Override
        public DatagramChannel datagramChannel(InternetProtocolFamily family) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
            throw new UnsupportedOperationException();
        }
    }
}
