package ai.adaptserve.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local directory bounded and private, entries authenticated with an HMAC, the tenant quota. */
class StorageBoundsTest {

    private static final HmacKey KEY_1 =
            new HmacKey("k1-0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    private static final HmacKey KEY_2 =
            new HmacKey("k2-0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dir;

    private Path file(AdapterKey key) {
        return dir.resolve("adapters").resolve(key.baseFingerprint()).resolve(key.id());
    }

    @Test
    void sweep_overTheBound_deletesTheLeastRecentlyUsedFirst() throws Exception {
        AdapterKey[] keys = new AdapterKey[4];
        long entryBytes;
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir))) {
            for (int i = 0; i < keys.length; i++) {
                keys[i] = TestSupport.key("sweep-" + i);
                store.put(keys[i], TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(1000, i)));
            }
            entryBytes = Files.size(file(keys[0]));
        }
        // Use order set explicitly (no clock): 2 is the oldest, then 0, then 3, then 1 (the most recent).
        long[] usedAt = {2_000, 4_000, 1_000, 3_000};
        for (int i = 0; i < keys.length; i++) {
            Files.setLastModifiedTime(file(keys[i]), FileTime.fromMillis(usedAt[i]));
        }
        LocalDirectoryTier tier = new LocalDirectoryTier(new AdapterCacheConfig.Local(dir, 2 * entryBytes + 10));

        assertEquals(2 * entryBytes, tier.sweepNow());
        assertFalse(Files.exists(file(keys[2])));
        assertFalse(Files.exists(file(keys[0])));
        assertTrue(Files.exists(file(keys[3])));
        assertTrue(Files.exists(file(keys[1])));
    }

    @Test
    void put_pastTheBound_sweepsAfterTheWrite() throws Exception {
        AdapterCacheConfig config = TestSupport.localConfigBuilder(dir)
                .local(new AdapterCacheConfig.Local(dir, 2500))
                .build();
        try (TieredAdapterStore store = TestSupport.store(config)) {
            for (int i = 0; i < 5; i++) {
                store.put(TestSupport.key("bounded-" + i), TrainedAdapter.of(AdapterKind.LORA, new byte[1000]));
            }
        }
        long total;
        try (var files = Files.walk(dir)) {
            total = files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
        assertTrue(total > 0 && total <= 2500, "directory holds " + total + " bytes");
    }

    @Test
    void put_newDirectory_isPrivateToTheUser() throws Exception {
        Path fresh = dir.resolve("fresh");
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(fresh))) {
            store.put(TestSupport.key("private"), TrainedAdapter.of(AdapterKind.LORA, new byte[] {1}));
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
        assertEquals(
                "rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh.resolve("adapters"))));
    }

    @Test
    void defaultDirectory_isTheUsersCacheNotTheTempDirectory() {
        Path d = AdapterCacheConfig.Local.defaults().dir();
        assertFalse(d.startsWith(Path.of(System.getProperty("java.io.tmpdir"))), d.toString());
        assertTrue(d.endsWith(Path.of("adaptserve", "adapters")), d.toString());
    }

    @Test
    void get_entryUnderAnotherKeyOrWithout_isRefusedAndLeftInPlace() throws Exception {
        AdapterKey signed = TestSupport.key("signed-k1");
        AdapterKey unsigned = TestSupport.key("unsigned");
        byte[] payload = TestSupport.payload(300, 7);
        try (TieredAdapterStore k1 = TestSupport.store(TestSupport.localConfigBuilder(dir)
                        .hmacKey(java.util.Optional.of(KEY_1))
                        .build());
                TieredAdapterStore none = TestSupport.store(TestSupport.localConfig(dir))) {
            k1.put(signed, TrainedAdapter.of(AdapterKind.LORA, payload));
            none.put(unsigned, TrainedAdapter.of(AdapterKind.LORA, payload));
        }
        byte[] signedBytes = Files.readAllBytes(file(signed));
        try (TieredAdapterStore k1 = TestSupport.store(TestSupport.localConfigBuilder(dir)
                        .hmacKey(java.util.Optional.of(KEY_1))
                        .build());
                TieredAdapterStore k2 = TestSupport.store(TestSupport.localConfigBuilder(dir)
                        .hmacKey(java.util.Optional.of(KEY_2))
                        .build());
                TieredAdapterStore none = TestSupport.store(TestSupport.localConfig(dir))) {
            assertArrayEquals(payload, k1.get(signed).orElseThrow().adapter().payloadBytes());
            assertArrayEquals(payload, none.get(signed).orElseThrow().adapter().payloadBytes(), "checksum only");
            assertThrows(AdapterCacheException.Unauthenticated.class, () -> k2.get(signed));
            assertThrows(AdapterCacheException.Unauthenticated.class, () -> k1.get(unsigned));
        }
        assertArrayEquals(signedBytes, Files.readAllBytes(file(signed)), "not deleted");
        assertTrue(Files.exists(file(unsigned)), "not deleted");
    }

    @Test
    void decode_plantedPayloadWithAValidChecksum_isCaughtByTheMac() {
        AdapterKey key = TestSupport.key("planted");
        EntryMac mac = new EntryMac(KEY_1.secret());
        byte[] bytes = AdapterEnvelope.encode(
                        key, TrainedAdapter.of(AdapterKind.LORA, new byte[64]), Instant.EPOCH, 0, Optional.of(mac))
                .envelope();
        int headerLength = ByteBuffer.wrap(bytes).getInt(6);
        bytes[50 + headerLength] ^= 0x01; // the payload's first byte, then a valid CRC32C again
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());

        BadEntryException e = assertThrows(
                BadEntryException.class, () -> AdapterEnvelope.decode(bytes, key, 1 << 20, false, Optional.of(mac)));
        assertEquals("mac", e.reason());
        assertEquals(BadEntryException.Kind.UNAUTHENTICATED, e.kind());
    }

    @Test
    void getOrCreate_tenantAtItsQuota_isRefusedNamingTheLimitAndOtherTenantsAreNot() {
        AdapterCacheConfig config =
                TestSupport.localConfigBuilder(dir).tenantQuotaBytes(1).build();
        try (TieredAdapterStore store = TestSupport.store(config)) {
            byte[] payload = TestSupport.payload(100, 8);
            store.getOrCreate(
                    TestSupport.key("first").withTenant("acme"),
                    k -> TrainedAdapter.of(AdapterKind.LORA, payload),
                    Duration.ofSeconds(10));

            AdapterCacheException.QuotaExceeded e = assertThrows(
                    AdapterCacheException.QuotaExceeded.class,
                    () -> store.getOrCreate(
                            TestSupport.key("second").withTenant("acme"),
                            TestSupport.neverCalled(),
                            Duration.ofSeconds(10)));
            assertEquals(1, e.limitBytes());
            assertTrue(e.getMessage().contains("quota.max-bytes-per-tenant"), e.getMessage());
            store.getOrCreate(
                    TestSupport.key("other").withTenant("globex"),
                    k -> TrainedAdapter.of(AdapterKind.LORA, payload),
                    Duration.ofSeconds(10));
        }
    }
}
