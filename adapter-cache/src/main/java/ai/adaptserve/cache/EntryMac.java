package ai.adaptserve.cache;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 of stored entries under the configured {@code hmac-key}: only instances that hold the key can write an
 * entry the others accept, so write access to Redis or S3 alone cannot plant an adapter.
 */
final class EntryMac {

    private final SecretKeySpec key;

    EntryMac(byte[] secret) {
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    }

    /** The MAC of {@code bytes[0, length)}. */
    byte[] sign(byte[] bytes, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(bytes, 0, length);
            return mac.doFinal();
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("unusable hmac-key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
