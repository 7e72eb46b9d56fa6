package ai.adaptserve.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Every reader checks the envelope before using a byte of it. */
class AdapterEnvelopeTest {

    private static final AdapterKey KEY = TestSupport.key("envelope");
    private static final byte[] PAYLOAD = TestSupport.payload(1234, 50);

    private static byte[] encoded() {
        return AdapterEnvelope.encode(
                        KEY,
                        new TrainedAdapter(AdapterKind.LORA, PAYLOAD.clone(), Map.of("rank", "8", "targets", "q,v")),
                        Instant.ofEpochMilli(1_700_000_000_000L),
                        42)
                .envelope();
    }

    private static String reason(byte[] bytes, AdapterKey key) {
        return assertThrows(BadEntryException.class, () -> AdapterEnvelope.decode(bytes, key, 1 << 20, true))
                .reason();
    }

    @Test
    void decode_encoded_roundTripsEveryField() throws Exception {
        StoredAdapter a = AdapterEnvelope.decode(encoded(), KEY, 1 << 20, true);

        assertEquals(KEY, a.key());
        assertEquals(AdapterKind.LORA, a.kind());
        assertEquals(Instant.ofEpochMilli(1_700_000_000_000L), a.createdAt());
        assertEquals(42, a.trainMillis());
        assertEquals(Map.of("rank", "8", "targets", "q,v"), a.metadata());
        assertArrayEquals(PAYLOAD, a.payloadBytes());
        assertEquals(PAYLOAD.length, a.payload().remaining());
        assertTrue(a.payload().isReadOnly());
        assertEquals(java.util.HexFormat.of().formatHex(AdapterKey.sha256(PAYLOAD)), a.payloadSha256());
    }

    @Test
    void decode_layout_matchesTheDocumentedOffsets() {
        byte[] e = encoded();
        ByteBuffer b = ByteBuffer.wrap(e);
        int headerLength = b.getInt(6);
        CRC32C crc = new CRC32C();
        crc.update(e, 0, e.length - 4);

        assertArrayEquals(new byte[] {'A', 'S', 'A', 'D'}, Arrays.copyOf(e, 4));
        assertEquals(1, b.getShort(4));
        assertArrayEquals(KEY.hashBytes(), Arrays.copyOfRange(e, 10, 42));
        assertEquals(PAYLOAD.length, b.getLong(10 + headerLength));
        assertArrayEquals(AdapterKey.sha256(PAYLOAD), Arrays.copyOfRange(e, 18 + headerLength, 50 + headerLength));
        assertArrayEquals(PAYLOAD, Arrays.copyOfRange(e, 50 + headerLength, 50 + headerLength + PAYLOAD.length));
        assertEquals((int) crc.getValue(), b.getInt(e.length - 4));
        assertEquals(54 + headerLength + PAYLOAD.length, e.length);
    }

    @Test
    void decode_anySingleFlippedByte_isRejected() {
        byte[] good = encoded();
        for (int i = 0; i < good.length; i += 7) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            assertThrows(
                    BadEntryException.class, () -> AdapterEnvelope.decode(bad, KEY, 1 << 20, false), "offset " + i);
        }
    }

    @Test
    void decode_truncatedOrExtended_isRejectedAsLengthOrTruncated() {
        byte[] good = encoded();

        assertEquals("truncated", reason(Arrays.copyOf(good, 20), KEY));
        assertEquals("length", reason(Arrays.copyOf(good, good.length - 1), KEY));
        assertEquals("length", reason(Arrays.copyOf(good, good.length + 1), KEY));
        assertEquals("truncated", reason(new byte[0], KEY));
    }

    @Test
    void decode_otherKeyOrOtherBase_isRejected() {
        assertEquals("key-mismatch", reason(encoded(), TestSupport.key("another")));
        assertEquals("base-fingerprint", reason(encoded(), AdapterKey.of("other-base", KEY.id())));
    }

    @Test
    void decode_sameIdInATenantNamespace_isAccepted() throws Exception {
        AdapterKey tenantKey = KEY.withTenant("acme");

        assertEquals(
                tenantKey,
                AdapterEnvelope.decode(encoded(), tenantKey, 1 << 20, true).key());
    }

    @Test
    void decode_payloadLargerThanTheLimit_isRejected() {
        assertEquals(
                "too-large",
                assertThrows(
                                BadEntryException.class,
                                () -> AdapterEnvelope.decode(encoded(), KEY, PAYLOAD.length - 1, true))
                        .reason());
    }

    @Test
    void decode_payloadChangedWithAValidCrc_isCaughtOnlyBySha256() throws Exception {
        byte[] forged = encoded();
        int headerLength = ByteBuffer.wrap(forged).getInt(6);
        forged[50 + headerLength] ^= 0x01;
        CRC32C crc = new CRC32C();
        crc.update(forged, 0, forged.length - 4);
        ByteBuffer.wrap(forged).putInt(forged.length - 4, (int) crc.getValue());

        assertEquals("payload-sha256", reason(forged, KEY));
        assertEquals(
                PAYLOAD.length,
                AdapterEnvelope.decode(forged, KEY, 1 << 20, false).payloadLength());
    }

    @Test
    void decode_newerFormatVersion_isUnsupportedButNotDeletable() {
        byte[] newer = encoded();
        ByteBuffer.wrap(newer).putShort(4, (short) (AdapterEnvelope.VERSION_MAC + 1));

        BadEntryException e =
                assertThrows(BadEntryException.class, () -> AdapterEnvelope.decode(newer, KEY, 1 << 20, true));
        assertEquals("version", e.reason());
        assertFalse(e.deletable());
    }

    @Test
    void encode_tooMuchMetadata_isRefused() {
        java.util.Map<String, String> many = new java.util.HashMap<>();
        for (int i = 0; i < 65; i++) {
            many.put("k" + i, "v");
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> AdapterEnvelope.encode(
                        KEY, new TrainedAdapter(AdapterKind.LORA, new byte[1], many), Instant.now(), 0));
    }
}
