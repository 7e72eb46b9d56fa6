package ai.adaptserve.function.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.runtime.configuration.ConfigurationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys file: its format, and a malformed line stopping start-up with the file and line named. */
class AuthKeysFileTest {

    private static final String HASH_A = hex("key-a");
    private static final String HASH_B = hex("key-b");

    static String hex(String key) {
        return HexFormat.of().formatHex(ApiKeys.sha256(key));
    }

    @Test
    void parse_commentsBlankLinesAndAdmin() {
        List<ApiKey> keys = KeysFile.parse("keys", """
                # tenant  sha256                              flags
                acme %s

                \tops\t%s   admin   # the operators
                """.formatted(HASH_A, HASH_B.toUpperCase()));

        assertEquals(2, keys.size());
        assertEquals("acme", keys.get(0).tenant());
        assertFalse(keys.get(0).admin());
        assertEquals(2, keys.get(0).line());
        assertEquals("ops", keys.get(1).tenant());
        assertTrue(keys.get(1).admin());
        assertEquals(4, keys.get(1).line());
        assertEquals(HASH_B, keys.get(1).hashHex());
    }

    @Test
    void parse_malformedLines_nameFileAndLine() {
        record Case(String text, String message) {}
        for (Case c : List.of(
                new Case("acme %s\nbroken\n".formatted(HASH_A), "keys.txt:2: expected <tenant> <sha256-hex-of-key>"),
                new Case("\n\nacme abc123\n", "keys.txt:3: the second field must be the SHA-256"),
                new Case("acme %s root\n".formatted(HASH_A), "keys.txt:1: the third field may only be 'admin'"),
                new Case("acme %s admin x\n".formatted(HASH_A), "keys.txt:1: expected"),
                new Case("../etc %s\n".formatted(HASH_A), "keys.txt:1: the tenant must be"),
                new Case("a %s\nb %s\n".formatted(HASH_A, HASH_A), "keys.txt:2: the same key hash as line 1"),
                new Case("# only comments\n\n", "keys.txt: no keys"))) {
            var e = assertThrows(KeysFile.KeysFileException.class, () -> KeysFile.parse("keys.txt", c.text()));
            assertTrue(
                    e.getMessage().startsWith(c.message()), () -> e.getMessage() + " should start with " + c.message());
            assertFalse(e.getMessage().contains(HASH_A), "the message repeats a hash: " + e.getMessage());
        }
    }

    @Test
    void startUp_malformedFile_configurationErrorNamingFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("keys");
        Files.writeString(file, "acme %s\nacme not-a-hash\n".formatted(HASH_A), StandardCharsets.UTF_8);

        var e = assertThrows(ConfigurationException.class, () -> new ApiKeys(Optional.of(file)));

        assertTrue(e.getMessage().contains("adaptserve.auth.keys-file"), e.getMessage());
        assertTrue(e.getMessage().contains(file + ":2:"), e.getMessage());
    }

    @Test
    void startUp_missingFile_configurationError(@TempDir Path dir) {
        Path file = dir.resolve("absent");

        var e = assertThrows(ConfigurationException.class, () -> new ApiKeys(Optional.of(file)));

        assertTrue(e.getMessage().contains(file + ": cannot be read"), e.getMessage());
    }

    @Test
    void match_byHashOfPresentedKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("keys");
        Files.writeString(file, "a %s\nb %s admin\n".formatted(HASH_A, HASH_B));
        ApiKeys keys = new ApiKeys(Optional.of(file));

        assertTrue(keys.enabled());
        assertEquals("a", keys.match("key-a").orElseThrow().tenant());
        assertEquals("b", keys.match("key-b").orElseThrow().tenant());
        assertTrue(keys.match("key-c").isEmpty());
        assertTrue(keys.match(HASH_A).isEmpty(), "the hash itself is not a key");
        assertTrue(keys.match("").isEmpty());
    }

    @Test
    void noFile_open() {
        ApiKeys keys = new ApiKeys(Optional.empty());

        assertFalse(keys.enabled());
        assertTrue(keys.match("anything").isEmpty());
    }
}
