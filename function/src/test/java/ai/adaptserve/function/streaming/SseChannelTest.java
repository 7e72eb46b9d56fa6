package ai.adaptserve.function.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The stream's hand-off: the engine's thread only enqueues (a client that does not read never blocks it), the
 * request's own events keep their order with the tokens, and a client that falls the buffer's length behind is told
 * why its generation ends.
 */
class SseChannelTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A response body whose first write waits for {@code release}, like a client that stops reading. */
    static final class StuckClient extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final ByteArrayOutputStream got = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            synchronized (this) {
                got.write(b, off, len);
            }
        }

        String text() {
            synchronized (this) {
                return got.toString(StandardCharsets.UTF_8);
            }
        }
    }

    @Test
    void tokensOfferedToAClientThatDoesNotRead_neverWait_andOverflowSaysWhy() throws Exception {
        StuckClient client = new StuckClient();
        try (SseChannel channel = new SseChannel(client, () -> false, JSON, 2)) {
            try {
                assertTrue(channel.offerEvent("token", Map.of("text", "a")));
                assertTrue(client.entered.await(30, TimeUnit.SECONDS), "the writer took the first event");
                assertTrue(channel.offerEvent("token", Map.of("text", "b")));
                assertTrue(channel.offerEvent("token", Map.of("text", "c")));
                // The writer is stuck and two events wait: the next is refused at once, without waiting.
                assertFalse(channel.offerEvent("token", Map.of("text", "d")));
                assertTrue(channel.overflowed());
                assertTrue(channel.cancellation().getMessage().contains("reads too slowly"));
                assertFalse(channel.offerData(Map.of("text", "e")), "refused from then on");
            } finally {
                client.release.countDown();
            }
            channel.event("error", Map.of("code", "client_too_slow"));
        }
        assertEquals(
                "event: token\ndata: {\"text\":\"a\"}\n\n"
                        + "event: token\ndata: {\"text\":\"b\"}\n\n"
                        + "event: token\ndata: {\"text\":\"c\"}\n\n"
                        + "event: error\ndata: {\"code\":\"client_too_slow\"}\n\n",
                client.text(),
                "what was queued, in order, then why the stream ends");
    }

    @Test
    void clientGone_refusesTokens_asAClosedStream() {
        try (SseChannel channel = new SseChannel(new ByteArrayOutputStream(), () -> true, JSON, 4)) {
            assertFalse(channel.offerEvent("token", Map.of("text", "a")));
            assertFalse(channel.overflowed());
            assertTrue(channel.cancellation().getMessage().contains("closed"));
        }
    }
}
