package ai.adaptserve.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded default model: the project's own small Llama over bytes, trained by {@code bin/train-builtin} on the
 * training families of the task suite (docs/builtin-model.md), with one SVF expert per family in
 * {@value #EXPERTS_DIR}/ and the task router in {@value #ROUTER_FILE}. The files ship as class-path resources
 * listed in a manifest with their SHA-256; {@link #materialize} copies them into a cache directory, because the
 * loader and the SVD cache work on a directory.
 */
public final class BuiltinModel {
    /** The directory name under the cache directory; a new set of weights needs a new name. */
    public static final String NAME = "adaptserve-builtin-v2";
    /** The experts' directory inside the model directory. */
    public static final String EXPERTS_DIR = "experts";
    /** The router's file inside the model directory. */
    public static final String ROUTER_FILE = "router.safetensors";

    static final String RESOURCES = "/ai/adaptserve/model/builtin/";
    /** Lines {@code <sha256> <size> <relative path>}, written by {@code bin/ship-builtin}. */
    static final String MANIFEST = "manifest.txt";

    private BuiltinModel() {}

    /** One shipped file. */
    record Entry(String sha256, long size, String path) {}

    /** {@link #materialize} under {@code ${java.io.tmpdir}/adaptserve/builtin}. */
    public static Path materializeDefault() {
        return materialize(Path.of(System.getProperty("java.io.tmpdir"), "adaptserve", "builtin"));
    }

    /**
     * Copies the built-in model under {@code cacheDir} unless an intact copy is there already (every file of the
     * manifest with its size and SHA-256; a damaged copy is replaced); returns its directory.
     */
    public static Path materialize(Path cacheDir) {
        Path dir = cacheDir.resolve(NAME);
        try {
            List<Entry> entries = manifest();
            if (intact(dir, entries)) {
                return dir;
            }
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempDirectory(cacheDir, NAME + ".tmp");
            try {
                for (Entry e : entries) {
                    Path target = tmp.resolve(e.path());
                    Files.createDirectories(target.getParent());
                    try (InputStream in = resource(e.path())) {
                        Files.copy(in, target);
                    }
                    if (!Sha256.hex(target).equals(e.sha256())) {
                        throw new IOException("built-in resource " + e.path() + " does not match its manifest");
                    }
                }
                if (Files.exists(dir) && !intact(dir, entries)) {
                    LocalFiles.deleteTree(dir);
                }
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                LocalFiles.deleteTree(tmp); // another process won the race; its copy is identical
            } catch (IOException e) {
                LocalFiles.deleteTree(tmp);
                if (!intact(dir, entries)) {
                    throw e;
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the built-in model under " + cacheDir, e);
        }
    }

    static List<Entry> manifest() throws IOException {
        List<Entry> out = new ArrayList<>();
        try (InputStream in = resource(MANIFEST)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.trim().split("\\s+", 3);
                if (f.length != 3 || f[2].contains("..") || f[2].startsWith("/")) {
                    throw new IOException("bad line in the built-in manifest: " + line);
                }
                out.add(new Entry(f[0], Long.parseLong(f[1]), f[2]));
            }
        }
        return out;
    }

    private static boolean intact(Path dir, List<Entry> entries) throws IOException {
        for (Entry e : entries) {
            Path p = dir.resolve(e.path());
            if (!Files.isRegularFile(p)
                    || Files.size(p) != e.size()
                    || !Sha256.hex(p).equals(e.sha256())) {
                return false;
            }
        }
        return true;
    }

    private static InputStream resource(String path) throws IOException {
        InputStream in = BuiltinModel.class.getResourceAsStream(RESOURCES + path);
        if (in == null) {
            throw new IOException(
                    "the built-in model's resource " + RESOURCES + path + " is missing from the class path");
        }
        return in;
    }
}
