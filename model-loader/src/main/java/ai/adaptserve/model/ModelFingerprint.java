package ai.adaptserve.model;

import ai.adaptserve.model.checkpoint.CheckpointTensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Identity of a base model: SHA-256 over {@code config.json} and its weight files, in name order.
 * Adapters are keyed by it, so an adapter trained for one set of weights never matches another.
 */
public final class ModelFingerprint {
    private ModelFingerprint() {}

    /** The fingerprint as {@code sha256:<hex>}. */
    public static String of(Path dir) throws IOException {
        MessageDigest md = Sha256.digest();
        byte[] buf = new byte[1 << 20];
        for (Path f : modelFiles(dir)) {
            md.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            try (InputStream in = Files.newInputStream(f)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
        }
        return "sha256:" + Sha256.hex(md);
    }

    /**
     * config.json and exactly the weight files the loader reads ({@code model.safetensors}, else the shards the
     * index names), in name order. Other files in the directory — the SVD cache written beside the checkpoint,
     * a README — must not change the identity, or every adapter keyed by it would be orphaned.
     */
    static List<Path> modelFiles(Path dir) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        names.add("config.json");
        if (Files.isRegularFile(dir.resolve(CheckpointTensors.SINGLE_FILE))) {
            names.add(CheckpointTensors.SINGLE_FILE);
        } else if (Files.isRegularFile(dir.resolve(CheckpointTensors.INDEX_FILE))) {
            names.add(CheckpointTensors.INDEX_FILE);
            JsonNode map = new ObjectMapper()
                    .readTree(dir.resolve(CheckpointTensors.INDEX_FILE).toFile())
                    .path("weight_map");
            map.elements().forEachRemaining(v -> names.add(v.asText()));
        }
        List<Path> files = new ArrayList<>();
        for (String n : names) {
            Path p = dir.resolve(n).normalize();
            if (p.startsWith(dir.normalize()) && Files.isRegularFile(p)) {
                files.add(p);
            }
        }
        return files;
    }
}
