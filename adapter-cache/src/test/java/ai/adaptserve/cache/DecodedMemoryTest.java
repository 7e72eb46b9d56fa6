package ai.adaptserve.cache;

import static ai.adaptserve.cache.TestSupport.gauge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a decoder, the memory tier keeps each adapter once, decoded, weighed by the decoder. */
class DecodedMemoryTest {

    @TempDir
    Path dir;

    /** Decodes a payload to its text; rejects payloads starting with "bad"; weighs 10 bytes per character. */
    static final class TextDecoder implements AdapterDecoder<String> {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public String decode(StoredAdapter adapter) {
            calls.incrementAndGet();
            String text = new String(adapter.payloadBytes(), StandardCharsets.UTF_8);
            if (text.startsWith("bad")) {
                throw new IllegalArgumentException("not text: " + text);
            }
            return text;
        }

        @Override
        public long weight(String decoded) {
            return 10L * decoded.length();
        }
    }

    private static TrainedAdapter text(String s) {
        return TrainedAdapter.of(AdapterKind.LORA, s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void getOrCreate_withDecoder_keepsTheDecodedValueOnceWithoutPayload() {
        TextDecoder decoder = new TextDecoder();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdapterKey key = TestSupport.key("decoded");
        try (TieredAdapterStore store = TieredAdapterStore.builder(TestSupport.localConfig(dir))
                .meterRegistry(registry)
                .decoder(decoder)
                .build()) {
            AdapterResult trained = store.getOrCreate(key, k -> text("hello"), Duration.ofSeconds(10));
            AdapterResult hit = store.get(key).orElseThrow();

            assertEquals("hello", trained.adapter().decoded(decoder));
            assertEquals(AdapterSource.MEMORY, hit.source());
            assertSame(trained.adapter().decoded(decoder), hit.adapter().decoded(decoder));
            assertFalse(hit.adapter().hasPayload());
            assertThrows(IllegalStateException.class, () -> hit.adapter().payloadBytes());
            assertEquals(5, hit.adapter().payloadLength());
            assertEquals(1, decoder.calls.get(), "decoded once, when it entered memory");
            store.cleanUpMemory();
            assertEquals(50, gauge(registry, CacheMetrics.MEMORY_BYTES));
        }
    }

    @Test
    void get_fromDiskWithDecoder_decodesOnceThenServesFromMemory() {
        AdapterKey key = TestSupport.key("decoded-disk");
        try (TieredAdapterStore writer = TestSupport.store(TestSupport.localConfig(dir))) {
            writer.put(key, text("stored"));
        }
        TextDecoder decoder = new TextDecoder();
        try (TieredAdapterStore store = TieredAdapterStore.builder(TestSupport.localConfig(dir))
                .decoder(decoder)
                .build()) {
            AdapterResult read = store.get(key).orElseThrow();
            AdapterResult again = store.get(key).orElseThrow();

            assertEquals(AdapterSource.LOCAL, read.source());
            assertEquals("stored", read.adapter().decoded(decoder));
            assertEquals(AdapterSource.MEMORY, again.source());
            assertEquals("stored", again.adapter().decoded(decoder));
            assertEquals(1, decoder.calls.get());
        }
    }

    @Test
    void get_undecodablePayload_notKeptAndReportedToEveryReader() {
        TextDecoder decoder = new TextDecoder();
        AdapterKey key = TestSupport.key("undecodable");
        try (TieredAdapterStore store = TieredAdapterStore.builder(TestSupport.localConfig(dir))
                .decoder(decoder)
                .build()) {
            AdapterResult put = store.put(key, text("bad bytes"));
            AdapterResult read = store.get(key).orElseThrow();

            assertTrue(put.durable());
            assertTrue(read.adapter().hasPayload());
            assertEquals(AdapterSource.LOCAL, read.source(), "not kept in memory");
            AdapterCacheException.Undecodable e = assertThrows(
                    AdapterCacheException.Undecodable.class,
                    () -> read.adapter().decoded(decoder));
            assertTrue(e.getCause().getMessage().contains("not text"), e.getMessage());
        }
    }

    @Test
    void decoded_withoutStoreDecoder_decodesOnDemand() {
        TextDecoder decoder = new TextDecoder();
        AdapterKey key = TestSupport.key("on-demand");
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir))) {
            AdapterResult r = store.put(key, text("plain"));

            assertTrue(r.adapter().hasPayload());
            assertEquals("plain", r.adapter().decoded(decoder));
            assertEquals("plain", r.adapter().decoded(decoder));
            assertEquals(2, decoder.calls.get(), "not the store's decoder: nothing is kept");
        }
    }
}
