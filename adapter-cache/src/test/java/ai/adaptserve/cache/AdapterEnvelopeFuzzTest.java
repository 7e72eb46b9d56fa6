package ai.adaptserve.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Stored entries are untrusted (anyone who can write to Redis or S3 wrote them): decoding returns the adapter or throws
 * {@link BadEntryException}; any other exception fails. Regression inputs:
 * {@code src/test/resources/ai/adaptserve/cache/AdapterEnvelopeFuzzTestInputs/}.
 */
class AdapterEnvelopeFuzzTest {

    private static final AdapterKey KEY = TestSupport.key("fuzz");

    /** Raw bytes: stopped by the framing checks or the CRC32C. */
    @FuzzTest(maxDuration = "5m")
    void rawBytes(byte[] bytes) {
        decode(bytes);
    }

    /**
     * Fuzzed bytes with the trailing CRC32C made right, as a writer who knows the format would: reaches the header
     * parsing behind the checksum.
     */
    @FuzzTest(maxDuration = "5m")
    void crcFixed(byte[] bytes) {
        if (bytes.length >= 4) {
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            ByteBuffer.wrap(bytes, bytes.length - 4, 4).putInt((int) crc.getValue());
        }
        decode(bytes);
    }

    /** Whatever metadata the trainer reports, an encoded entry decodes to the same adapter. */
    @FuzzTest(maxDuration = "5m")
    void roundTrip(FuzzedDataProvider data) {
        Map<String, String> meta = new LinkedHashMap<>();
        int n = data.consumeInt(0, 8);
        for (int i = 0; i < n; i++) {
            meta.put(data.consumeString(40), data.consumeString(200));
        }
        AdapterKind kind = data.pickValue(AdapterKind.values());
        long trainMillis = data.consumeLong(0, Long.MAX_VALUE);
        byte[] payload = data.consumeRemainingAsBytes();
        StoredAdapter stored;
        try {
            stored = AdapterEnvelope.encode(
                    KEY,
                    new TrainedAdapter(kind, payload, meta),
                    Instant.ofEpochMilli(1_700_000_000_000L),
                    trainMillis);
        } catch (IllegalArgumentException e) {
            return; // metadata the writer refuses (too long, too many entries): never stored
        }
        StoredAdapter back;
        try {
            back = AdapterEnvelope.decode(stored.envelope(), KEY, 1 << 20, true);
        } catch (BadEntryException e) {
            throw new AssertionError("an entry this version wrote does not decode: " + e.getMessage(), e);
        }
        assertArrayEquals(payload, back.payloadBytes());
        assertEquals(kind, back.kind());
        assertEquals(Map.copyOf(meta), back.metadata());
    }

    private static void decode(byte[] bytes) {
        try {
            assertNotNull(AdapterEnvelope.decode(bytes, KEY, 1 << 20, true).payloadBytes());
        } catch (BadEntryException e) {
            assertNotNull(e.reason());
        }
    }
}
