package ai.adaptserve.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AdapterStore#list}: a tenant's adapters of one base model, from the durable tier (real s3proxy, or the local
 * directory), never another tenant's or another base model's, bounded, and "unavailable" (not empty) while the durable
 * tier is down.
 */
class AdapterListingTest extends WithRedisAndS3 {

    private static final String OTHER_BASE = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    /** Stores, for tenant {@code a}: two adapters; for {@code b}: one; no tenant: one; another base model: one. */
    private static List<String> storeMix(AdapterStore store) {
        AdapterKey a1 = TestSupport.key("a-one").withTenant("a");
        AdapterKey a2 = TestSupport.key("a-two").withTenant("a");
        store.put(a1, TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(256, 1)));
        store.put(a2, TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(256, 2)));
        store.put(
                TestSupport.key("b-one").withTenant("b"),
                TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(256, 3)));
        store.put(TestSupport.key("nobody"), TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(256, 4)));
        AdapterKey otherBase = AdapterKey.builder(OTHER_BASE, AdapterKind.LORA)
                .example("a-three", "x")
                .build()
                .withTenant("a");
        store.put(otherBase, TrainedAdapter.of(AdapterKind.LORA, TestSupport.payload(256, 5)));
        return Stream.of(a1.id(), a2.id()).sorted().toList();
    }

    private static List<String> ids(AdapterListing listing) {
        return assertInstanceOf(AdapterListing.Listed.class, listing).adapters().stream()
                .map(ListedAdapter::id)
                .toList();
    }

    private static void assertListsOnlyItsOwn(AdapterStore store, List<String> tenantA) {
        Instant before = Instant.now().plusSeconds(5);
        AdapterListing.Listed a =
                assertInstanceOf(AdapterListing.Listed.class, store.list(Optional.of("a"), TestSupport.BASE, 10));
        assertEquals(tenantA, a.adapters().stream().map(ListedAdapter::id).toList());
        assertFalse(a.truncated());
        assertTrue(a.adapters().stream().allMatch(l -> l.created().isBefore(before)), a.toString());

        assertEquals(1, ids(store.list(Optional.of("b"), TestSupport.BASE, 10)).size());
        assertEquals(1, ids(store.list(Optional.empty(), TestSupport.BASE, 10)).size());
        assertEquals(List.of(), ids(store.list(Optional.of("c"), TestSupport.BASE, 10)));
        assertEquals(1, ids(store.list(Optional.of("a"), OTHER_BASE, 10)).size());

        AdapterListing.Listed first =
                assertInstanceOf(AdapterListing.Listed.class, store.list(Optional.of("a"), TestSupport.BASE, 1));
        assertEquals(
                tenantA.subList(0, 1),
                first.adapters().stream().map(ListedAdapter::id).toList());
        assertTrue(first.truncated());
    }

    @Test
    void list_s3_onlyTheTenantsAdaptersOfThatBase() {
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket))) {
            assertListsOnlyItsOwn(store, storeMix(store));
        }
    }

    @Test
    void list_localDirectory_onlyTheTenantsAdaptersOfThatBase(@TempDir Path dir) throws IOException {
        try (TieredAdapterStore store = TestSupport.store(TestSupport.localConfig(dir))) {
            List<String> tenantA = storeMix(store);
            // A stray temporary file beside the entries is not an adapter
            Path folder = dir.resolve("a").resolve("adapters").resolve(TestSupport.BASE);
            Files.writeString(folder.resolve(".sha256:x.tmp"), "partial");
            assertListsOnlyItsOwn(store, tenantA);
        }
    }

    @Test
    void list_durableTierDown_unavailableNotEmpty() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        AdapterCacheConfig.S3 dead = AdapterCacheConfig.S3
                .builder(bucket)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .credentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)
                .timeout(Duration.ofSeconds(2))
                .build();
        try (TieredAdapterStore store = TestSupport.store(
                TestSupport.configBuilder(redis, s3, bucket).s3(dead).build())) {
            assertInstanceOf(AdapterListing.Unavailable.class, store.list(Optional.of("a"), TestSupport.BASE, 10));
        }
    }

    @Test
    void list_badTenantOrFingerprint_refusedBeforeAnyPath() {
        try (TieredAdapterStore store = TestSupport.store(TestSupport.config(redis, s3, bucket))) {
            assertThrows(IllegalArgumentException.class, () -> store.list(Optional.of("../a"), TestSupport.BASE, 10));
            assertThrows(IllegalArgumentException.class, () -> store.list(Optional.empty(), "../../etc", 10));
        }
    }
}
