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
 *
 * <p>With an {@link AdapterDecoder} registered, the memory tier keeps the adapter <em>decoded</em>: the same metadata
 * and the decoder's value, without the payload bytes ({@link #hasPayload()} is false, the payload accessors throw).
 * {@link #decoded(AdapterDecoder)} gives the value either way.
 */
public final class StoredAdapter {

    private final AdapterKey key;
    private final AdapterKind kind;
    private final Instant createdAt;
    private final long trainMillis;
    private final Map<String, String> metadata;
    private final byte[] envelope;
    private final int storedLength;
    private final int payloadOffset;
    private final int payloadLength;
    private final String payloadSha256;
    private final Decoding decoding;

    /**
     * What a decoder made of the payload: its value (and weight), or why it failed.
     *
     * @param decoder the decoder
     * @param value the decoded value; null if {@code failure} is set
     * @param weight the value's weight in the memory tier
     * @param failure why the decoder rejected the payload; null if it did not
     */
    private record Decoding(AdapterDecoder<?> decoder, Object value, long weight, Exception failure) {}

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
        this.storedLength = envelope.length;
        this.payloadOffset = payloadOffset;
        this.payloadLength = payloadLength;
        this.payloadSha256 = payloadSha256;
        this.decoding = null;
    }

    /** {@code from} with {@code envelope} (null: dropped) and {@code decoding}. */
    private StoredAdapter(StoredAdapter from, byte[] envelope, Decoding decoding) {
        this.key = from.key;
        this.kind = from.kind;
        this.createdAt = from.createdAt;
        this.trainMillis = from.trainMillis;
        this.metadata = from.metadata;
        this.envelope = envelope;
        this.storedLength = from.storedLength;
        this.payloadOffset = from.payloadOffset;
        this.payloadLength = from.payloadLength;
        this.payloadSha256 = from.payloadSha256;
        this.decoding = decoding;
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

    /** Whether the payload bytes are here: false for an adapter the memory tier keeps decoded. */
    public boolean hasPayload() {
        return envelope != null;
    }

    /** The payload as a read-only buffer (no copy). */
    public ByteBuffer payload() {
        return ByteBuffer.wrap(envelope(), payloadOffset, payloadLength).slice().asReadOnlyBuffer();
    }

    /** A copy of the payload. */
    public byte[] payloadBytes() {
        return Arrays.copyOfRange(envelope(), payloadOffset, payloadOffset + payloadLength);
    }

    /** The payload as a stream (no copy). */
    public InputStream openPayload() {
        return new ByteArrayInputStream(envelope(), payloadOffset, payloadLength);
    }

    /** Size of the stored form: payload plus envelope header. */
    public int storedLength() {
        return storedLength;
    }

    /**
     * The adapter as {@code decoder} makes it: the value the store decoded it to, if {@code decoder} is the store's,
     * else decoded now (not kept).
     *
     * @throws AdapterCacheException.Undecodable if {@code decoder} rejected the payload
     * @throws IllegalStateException if the adapter was decoded by another decoder and its payload is gone
     */
    @SuppressWarnings("unchecked") // the value was made by this very decoder
    public <T> T decoded(AdapterDecoder<T> decoder) {
        Decoding d = decoding != null && decoding.decoder() == decoder ? decoding : decode(decoder);
        if (d.failure() != null) {
            throw new AdapterCacheException.Undecodable(key, d.failure());
        }
        return (T) d.value();
    }

    /**
     * This adapter with {@code decoder}'s value in place of the payload; or, if the decoder rejects the payload, with
     * the payload and the failure.
     */
    StoredAdapter decodedWith(AdapterDecoder<?> decoder) {
        if (decoding != null && decoding.decoder() == decoder) {
            return this;
        }
        Decoding d = decode(decoder);
        return new StoredAdapter(this, d.failure() == null ? null : envelope, d);
    }

    private <T> Decoding decode(AdapterDecoder<T> decoder) {
        if (envelope == null) {
            throw new IllegalStateException(
                    this + " is kept decoded by another decoder; ask for it with the store's decoder");
        }
        try {
            T value = decoder.decode(this);
            return new Decoding(decoder, value, decoder.weight(value), null);
        } catch (Exception e) {
            return new Decoding(decoder, null, 0, e);
        }
    }

    /** Whether a decoder rejected the payload (such an adapter is not kept in memory). */
    boolean undecodable() {
        return decoding != null && decoding.failure() != null;
    }

    /** Its weight in the memory tier: the decoded value's, else the stored bytes. */
    long memoryWeight() {
        return decoding != null && decoding.failure() == null ? decoding.weight() : storedLength;
    }

    /** The envelope, as written to Redis, S3 and the local directory. Never modified. */
    byte[] envelope() {
        if (envelope == null) {
            throw new IllegalStateException(this + " is kept decoded: its payload bytes are not in memory");
        }
        return envelope;
    }

    @Override
    public String toString() {
        return "StoredAdapter[" + key.qualifiedId() + ", " + kind.wireName() + ", " + payloadLength + " bytes]";
    }
}
