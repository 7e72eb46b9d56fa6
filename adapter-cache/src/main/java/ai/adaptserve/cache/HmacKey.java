package ai.adaptserve.cache;

import java.util.Objects;

/**
 * The secret that authenticates stored entries; at least 32 bytes. Its {@code toString} does not show it.
 *
 * @param secret the key bytes (the configured value's UTF-8 bytes, or the key file's contents)
 */
public record HmacKey(byte[] secret) {
    public HmacKey {
        Objects.requireNonNull(secret, "secret");
        new ConfigChecks()
                .require(secret.length >= 32, "hmac-key", "must be at least 32 bytes, got " + secret.length)
                .done();
        secret = secret.clone();
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public String toString() {
        return "HmacKey[***]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HmacKey other && java.security.MessageDigest.isEqual(secret, other.secret);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(secret);
    }
}
