package ai.adaptserve.function.auth;

import ai.adaptserve.function.settings.AdaptServeConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The keys of {@code adaptserve.auth.keys-file}, read once when the application starts; none when it is not set (the
 * service is then open). A presented key is hashed with SHA-256 and compared with every configured hash in constant
 * time, so neither the answer's content nor its timing tells how much of a guess was right.
 */
@Singleton
public class ApiKeys {

    static final String KEYS_FILE = "adaptserve.auth.keys-file";

    private final Optional<Path> file;
    private final List<ApiKey> keys;

    @Inject
    ApiKeys(AdaptServeConfig config) {
        this(config.auth().keysFile());
    }

    ApiKeys(Optional<Path> file) {
        this.file = file;
        try {
            this.keys = file.map(KeysFile::read).orElse(List.of());
        } catch (KeysFile.KeysFileException e) {
            throw new ConfigurationException(KEYS_FILE + ": " + e.getMessage(), e, Set.of(KEYS_FILE));
        }
    }

    /** Whether a keys file is configured: every request then needs a key. */
    public boolean enabled() {
        return file.isPresent();
    }

    /** The configured keys file. */
    public Optional<Path> file() {
        return file;
    }

    /** The configured keys. */
    public List<ApiKey> keys() {
        return keys;
    }

    /** The configured key that {@code presented} is, if any. Looks at every key whatever matches. */
    public Optional<ApiKey> match(String presented) {
        byte[] hash = sha256(presented);
        ApiKey found = null;
        for (ApiKey key : keys) {
            if (MessageDigest.isEqual(key.sha256(), hash) && found == null) {
                found = key;
            }
        }
        return Optional.ofNullable(found);
    }

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
