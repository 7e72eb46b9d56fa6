package ai.adaptserve.cache;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/**
 * A verified adapter: its identity, kind, metadata and payload (the safetensors bytes). Immutable.
 *
 * <p>Every instance comes either from a trainer, or from bytes that passed the {@linkplain AdapterEnvelope envelope}
 * checks (length, header checksum, key, base fingerprint, payload SHA-256).
 */
public final class StoredAdapter {

    private final AdapterKey key;
    private final AdapterKind kind;
    private final Instant createdAt;
    private final long trainMillis;
    private final Map<String, String> metadata;
    private final byte[] envelope;
    private final int payloadOffset;
    private final int payloadLength;
    private final String payloadSha256;

    StoredAdapter(
            AdapterKey key,
            AdapterKind kind,
            Instant createdAt,
            long trainMillis,
            Map<String, String> metadata,
            byte[] envelope,
            int payloadOffset,
            int payloadLength,
            String payloadSha256) {
        this.key = key;
        this.kind = kind;
        this.createdAt = createdAt;
        this.trainMillis = trainMillis;
        this.metadata = Map.copyOf(metadata);
        this.envelope = envelope;
        this.payloadOffset = payloadOffset;
        this.payloadLength = payloadLength;
        this.payloadSha256 = payloadSha256;
    }

    /** The key it is stored under (with the tenant it was asked for). */
    public AdapterKey key() {
        return key;
    }

    /** {@code sha256:<hex>}. */
    public String id() {
        return key.id();
    }

    /** The base model it adapts. */
    public String baseFingerprint() {
        return key.baseFingerprint();
    }

    public AdapterKind kind() {
        return kind;
    }

    /** When it was trained (or uploaded). */
    public Instant createdAt() {
        return createdAt;
    }

    /** How long its training took, as recorded by the instance that trained it (0 for uploads). */
    public long trainMillis() {
        return trainMillis;
    }

    /** The string metadata stored with it. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Number of payload bytes. */
    public int payloadLength() {
        return payloadLength;
    }

    /** Hex SHA-256 of the payload. */
    public String payloadSha256() {
        return payloadSha256;
    }

    /** The payload as a read-only buffer (no copy). */
    public ByteBuffer payload() {
        return ByteBuffer.wrap(envelope, payloadOffset, payloadLength).slice().asReadOnlyBuffer();
    }

    /** A copy of the payload. */
    public byte[] payloadBytes() {
        return Arrays.copyOfRange(envelope, payloadOffset, payloadOffset + payloadLength);
    }

    /** The payload as a stream (no copy). */
    public InputStream openPayload() {
        return new ByteArrayInputStream(envelope, payloadOffset, payloadLength);
    }

    /** Size of the stored form: payload plus envelope header. */
    public int storedLength() {
        return envelope.length;
    }

    /** The envelope, as written to Redis, S3 and the local directory. Never modified. */
    byte[] envelope() {
        return envelope;
    }

    /** The same adapter seen under another (tenant-qualified) key with the same id. */
    StoredAdapter withKey(AdapterKey other) {
        if (other.equals(key)) {
            return this;
        }
        return new StoredAdapter(
                other, kind, createdAt, trainMillis, metadata, envelope, payloadOffset, payloadLength, payloadSha256);
    }

    @Override
    public String toString() {
        return "StoredAdapter[" + key.qualifiedId() + ", " + kind.wireName() + ", " + payloadLength + " bytes]";
    }
}
