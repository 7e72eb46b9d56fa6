package ai.adaptserve.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Identity of a base model: SHA-256 over {@code config.json} and every safetensors file, in name order.
 * Adapters are keyed by it, so an adapter trained for one set of weights never matches another.
 */
public final class ModelFingerprint {
    private ModelFingerprint() {}

    /** The fingerprint as {@code sha256:<hex>}. */
    public static String of(Path dir) throws IOException {
        MessageDigest md = sha256();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> {
                        String n = p.getFileName().toString();
                        return n.equals("config.json") || n.endsWith(".safetensors");
                    })
                    .sorted()
                    .toList();
        }
        byte[] buf = new byte[1 << 20];
        for (Path f : files) {
            md.update(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update((byte) 0);
            try (InputStream in = Files.newInputStream(f)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
