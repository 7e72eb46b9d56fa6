package ai.adaptserve.function.auth;

import java.util.HexFormat;

/**
 * One line of the keys file: a key, known only by the SHA-256 of its bytes, and the tenant it acts for.
 *
 * @param tenant the tenant whose adapters the key reads, uses and trains
 * @param sha256 the SHA-256 of the key (UTF-8), 32 bytes
 * @param admin whether {@code X-Tenant} may pick another tenant
 * @param line the line of the keys file it comes from (for logs; never the key or its hash)
 */
public record ApiKey(String tenant, byte[] sha256, boolean admin, int line) {

    public ApiKey {
        if (sha256.length != 32) {
            throw new IllegalArgumentException("a SHA-256 has 32 bytes, got " + sha256.length);
        }
        sha256 = sha256.clone();
    }

    /** The hash as 64 lower-case hex digits: a name for the key's rate bucket (not a secret, but not logged). */
    String hashHex() {
        return HexFormat.of().formatHex(sha256);
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiKey k
                && k.tenant.equals(tenant)
                && java.util.Arrays.equals(k.sha256, sha256)
                && k.admin == admin
                && k.line == line;
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(sha256);
    }

    @Override
    public String toString() {
        return "ApiKey[tenant=" + tenant + ", admin=" + admin + ", line=" + line + "]";
    }
}
