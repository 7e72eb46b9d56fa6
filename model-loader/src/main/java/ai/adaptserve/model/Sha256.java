package ai.adaptserve.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the one hash of model files, checksums and content ids: digests, hex, and length-prefixed strings. */
public final class Sha256 {
    private Sha256() {}

    /** A fresh digest. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** Lower-case hex of the hash of {@code bytes}. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** Lower-case hex of {@code md}'s digest (which resets it). */
    public static String hex(MessageDigest md) {
        return HexFormat.of().formatHex(md.digest());
    }

    /** Lower-case hex of the hash of a file's bytes, streamed. */
    public static String hex(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return hex(md);
    }

    /**
     * Feeds {@code s} as its UTF-8 length (4 bytes, big-endian) and bytes, so that a sequence of strings hashes
     * unambiguously ("ab","c" differs from "a","bc").
     */
    public static void updateString(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).flip());
        md.update(b);
    }
}
