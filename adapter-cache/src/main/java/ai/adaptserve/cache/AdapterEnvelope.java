package ai.adaptserve.cache;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The stored form of an adapter, identical in Redis, S3 and the local directory. Big-endian:
 *
 * <pre>
 * offset      size  field
 * 0           4     magic "ASAD" (0x41 0x53 0x41 0x44)
 * 4           2     format version = 1
 * 6           4     header length H (at most 65536)
 * 10          H     header:
 *                     32       key hash (the 32 bytes of the AdapterKey id)
 *                     2+n      base fingerprint (u16 length, UTF-8)
 *                     2+n      kind wire name (u16 length, UTF-8)
 *                     8        created, epoch milliseconds
 *                     8        training time, milliseconds
 *                     2        metadata entry count, then per entry: key (u16 length, UTF-8), value (u16 length, UTF-8)
 * 10+H        8     payload length P
 * 18+H        32    SHA-256 of the payload (its content identity)
 * 50+H        P     payload (the adapter's safetensors bytes, opaque here)
 * 50+H+P      4     CRC32C of bytes [0, 50+H+P)
 * </pre>
 *
 * The total length must be exactly {@code 54 + H + P}. {@link #decode} checks, before a single payload byte is used:
 * magic and version, the lengths, the CRC32C over the whole entry (so any damaged, truncated or extended byte is
 * caught), the key hash and base fingerprint against the key it was read for, the kind, and optionally the payload's
 * SHA-256 (a CRC32C of 4 MiB costs about 0.3 ms here, a SHA-256 about 5 ms).
 *
 * <p><b>Version 2</b> (written when an {@code hmac-key} is configured) is version 1 with 32 more bytes before the
 * CRC32C: the HMAC-SHA256, under that key, of bytes {@code [0, 50+H+P)}; total {@code 86 + H + P}. A checksum only
 * catches accidents, the HMAC also catches whoever can write to Redis or S3 but does not hold the key. With a key, a
 * version-1 entry or a wrong MAC is refused ({@link BadEntryException.Kind#UNAUTHENTICATED}, left in place); without
 * one, version 2 is read with its checksum only.
 */
final class AdapterEnvelope {

    static final byte[] MAGIC = {0x41, 0x53, 0x41, 0x44};
    static final int VERSION = 1;
    /** The authenticated format: version 1 plus an HMAC-SHA256 before the CRC32C. */
    static final int VERSION_MAC = 2;

    static final int MAC_BYTES = 32;
    static final int MAX_HEADER = 65_536;
    static final int MAX_METADATA_ENTRIES = 64;
    static final int MAX_METADATA_KEY = 128;
    static final int MAX_METADATA_VALUE = 4096;
    /** Fixed bytes around header and payload: magic, version, header length, payload length, SHA-256, CRC32C. */
    static final int FIXED_OVERHEAD = 4 + 2 + 4 + 4 + 8 + 32;

    private AdapterEnvelope() {}

    /** Encodes a trained adapter, unauthenticated (version 1). */
    static StoredAdapter encode(AdapterKey key, TrainedAdapter adapter, Instant createdAt, long trainMillis) {
        return encode(key, adapter, createdAt, trainMillis, Optional.empty());
    }

    /**
     * Encodes a trained adapter: version 2 with an HMAC under {@code mac} when present, else version 1. The result is
     * also returned as a {@link StoredAdapter} sharing the bytes.
     */
    static StoredAdapter encode(
            AdapterKey key, TrainedAdapter adapter, Instant createdAt, long trainMillis, Optional<EntryMac> mac) {
        byte[] header = header(key, adapter.kind(), createdAt, trainMillis, adapter.metadata());
        byte[] payload = adapter.payload();
        int macBytes = mac.isPresent() ? MAC_BYTES : 0;
        if ((long) FIXED_OVERHEAD + macBytes + header.length + payload.length > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("adapter of " + payload.length + " bytes is too large to store");
        }
        byte[] digest = AdapterKey.sha256(payload);
        ByteBuffer out = ByteBuffer.allocate(FIXED_OVERHEAD + macBytes + header.length + payload.length);
        out.put(MAGIC)
                .putShort((short) (mac.isPresent() ? VERSION_MAC : VERSION))
                .putInt(header.length)
                .put(header);
        out.putLong(payload.length).put(digest);
        int payloadOffset = out.position();
        out.put(payload);
        if (mac.isPresent()) {
            out.put(mac.get().sign(out.array(), out.position()));
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return new StoredAdapter(
                key,
                adapter.kind(),
                Instant.ofEpochMilli(createdAt.toEpochMilli()),
                trainMillis,
                adapter.metadata(),
                out.array(),
                payloadOffset,
                payload.length,
                HexFormat.of().formatHex(digest));
    }

    private static byte[] header(
            AdapterKey key, AdapterKind kind, Instant createdAt, long trainMillis, Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            throw new IllegalArgumentException(
                    "at most " + MAX_METADATA_ENTRIES + " metadata entries, got " + metadata.size());
        }
        ByteBuffer h = ByteBuffer.allocate(MAX_HEADER);
        try {
            h.put(key.hashBytes());
            putString(h, key.baseFingerprint(), 255, "base fingerprint");
            putString(h, kind.wireName(), 255, "kind");
            h.putLong(createdAt.toEpochMilli()).putLong(trainMillis);
            h.putShort((short) metadata.size());
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                putString(h, e.getKey(), MAX_METADATA_KEY, "metadata key");
                putString(h, e.getValue(), MAX_METADATA_VALUE, "metadata value of '" + e.getKey() + "'");
            }
        } catch (java.nio.BufferOverflowException e) {
            throw new IllegalArgumentException("adapter metadata is larger than " + MAX_HEADER + " bytes", e);
        }
        return Arrays.copyOf(h.array(), h.position());
    }

    private static void putString(ByteBuffer h, String s, int max, String what) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > max) {
            throw new IllegalArgumentException(what + " is longer than " + max + " bytes");
        }
        h.putShort((short) b.length).put(b);
    }

    /**
     * Checks {@code bytes} against {@code expected} and returns the adapter.
     *
     * @param maxPayload the largest payload accepted
     * @param verifySha256 also recompute the payload's SHA-256 (the CRC32C over the whole entry is always checked)
     * @throws BadEntryException if anything is off; {@link BadEntryException#deletable()} tells corruption (delete it)
     *     from an entry written by a newer version of this software (leave it)
     */
    static StoredAdapter decode(byte[] bytes, AdapterKey expected, long maxPayload, boolean verifySha256)
            throws BadEntryException {
        return decode(bytes, expected, maxPayload, verifySha256, Optional.empty());
    }

    /**
     * As {@link #decode(byte[], AdapterKey, long, boolean)}, and with {@code mac} present the entry must be version 2
     * with a matching HMAC.
     */
    static StoredAdapter decode(
            byte[] bytes, AdapterKey expected, long maxPayload, boolean verifySha256, Optional<EntryMac> mac)
            throws BadEntryException {
        if (bytes.length < FIXED_OVERHEAD) {
            throw BadEntryException.corrupt("truncated", "only " + bytes.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte[] magic = new byte[4];
        in.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw BadEntryException.corrupt("magic", "not an adapter envelope");
        }
        int version = Short.toUnsignedInt(in.getShort());
        if (version > VERSION_MAC) {
            // Written by a newer version of this software: not ours to judge or delete.
            throw BadEntryException.unsupported("version", "format version " + version);
        }
        if (version != VERSION && version != VERSION_MAC) {
            throw BadEntryException.corrupt("version", "format version " + version);
        }
        int macBytes = version == VERSION_MAC ? MAC_BYTES : 0;
        int headerLength = in.getInt();
        if (headerLength < 0 || headerLength > MAX_HEADER || FIXED_OVERHEAD + headerLength > bytes.length) {
            throw BadEntryException.corrupt("header-length", "header length " + headerLength);
        }
        long payloadLength = ByteBuffer.wrap(bytes, 10 + headerLength, 8).getLong();
        if (payloadLength > maxPayload) {
            // Before the length check: reads are cut at this instance's limit, so a larger entry arrives truncated.
            // It may be intact and readable by an instance with a larger limit: not ours to delete.
            throw BadEntryException.unsupported("too-large", payloadLength + " payload bytes, limit " + maxPayload);
        }
        if (payloadLength < 0 || (long) FIXED_OVERHEAD + macBytes + headerLength + payloadLength != bytes.length) {
            throw BadEntryException.corrupt(
                    "length", "payload length " + payloadLength + " in an entry of " + bytes.length + " bytes");
        }
        int crcOffset = bytes.length - 4;
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, crcOffset);
        if (ByteBuffer.wrap(bytes, crcOffset, 4).getInt() != (int) crc.getValue()) {
            throw BadEntryException.corrupt("checksum", "CRC32C mismatch");
        }
        if (mac.isPresent()) {
            if (macBytes == 0) {
                throw BadEntryException.unauthenticated("no-mac", "entry carries no HMAC and an hmac-key is set");
            }
            int macOffset = crcOffset - MAC_BYTES;
            byte[] expectedMac = mac.get().sign(bytes, macOffset);
            if (!MessageDigest.isEqual(expectedMac, Arrays.copyOfRange(bytes, macOffset, crcOffset))) {
                throw BadEntryException.unauthenticated("mac", "HMAC mismatch (planted, or written under another key)");
            }
        }
        ByteBuffer header = ByteBuffer.wrap(bytes, 10, headerLength).slice();
        byte[] keyHash = new byte[32];
        String base;
        String kindName;
        long created;
        long trainMillis;
        Map<String, String> metadata = new LinkedHashMap<>();
        try {
            header.get(keyHash);
            base = getString(header);
            kindName = getString(header);
            created = header.getLong();
            trainMillis = header.getLong();
            int entries = Short.toUnsignedInt(header.getShort());
            if (entries > MAX_METADATA_ENTRIES) {
                throw BadEntryException.corrupt("header", entries + " metadata entries");
            }
            for (int i = 0; i < entries; i++) {
                metadata.put(getString(header), getString(header));
            }
            if (header.hasRemaining()) {
                throw BadEntryException.corrupt("header", header.remaining() + " stray header bytes");
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw BadEntryException.corrupt("header", "malformed header: " + e);
        }
        if (!MessageDigest.isEqual(keyHash, expected.hashBytes())) {
            throw BadEntryException.corrupt(
                    "key-mismatch", "entry belongs to sha256:" + HexFormat.of().formatHex(keyHash));
        }
        if (!base.equals(expected.baseFingerprint())) {
            throw BadEntryException.corrupt("base-fingerprint", "entry is for base " + base);
        }
        AdapterKind kind = AdapterKind.fromWireName(kindName)
                .orElseThrow(() -> BadEntryException.unsupported("kind", "unknown adapter kind " + kindName));
        int digestOffset = 18 + headerLength;
        int payloadOffset = 50 + headerLength;
        byte[] digest = Arrays.copyOfRange(bytes, digestOffset, payloadOffset);
        if (verifySha256) {
            MessageDigest sha = AdapterKey.sha256();
            sha.update(bytes, payloadOffset, (int) payloadLength);
            if (!MessageDigest.isEqual(digest, sha.digest())) {
                throw BadEntryException.corrupt("payload-sha256", "payload SHA-256 mismatch");
            }
        }
        return new StoredAdapter(
                expected,
                kind,
                Instant.ofEpochMilli(created),
                trainMillis,
                metadata,
                bytes,
                payloadOffset,
                (int) payloadLength,
                HexFormat.of().formatHex(digest));
    }

    private static String getString(ByteBuffer in) {
        int length = Short.toUnsignedInt(in.getShort());
        byte[] b = new byte[length];
        in.get(b);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("invalid UTF-8", e);
        }
    }
}
