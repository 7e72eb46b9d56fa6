package ai.adaptserve.model.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * All tensors of a Hugging Face checkpoint directory: {@code model.safetensors}, or else the shards listed by
 * {@code model.safetensors.index.json} ({@code "weight_map"}: tensor name to shard file name). Like Hugging Face, a
 * single {@code model.safetensors} takes precedence over an index.
 *
 * <p>With an index, the weight map is authoritative: {@link #names()} are its keys, in index order. Every shard file must
 * exist and lie inside the directory (checked lexically, so symlinked files as in the Hugging Face cache are fine),
 * every listed tensor must be in its shard, and no tensor may appear in two shards.
 */
public final class CheckpointTensors implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final long MAX_INDEX_BYTES = 100_000_000L;

    private final Path dir;
    private final List<SafetensorsFile> files;
    /** Tensor name to the file holding it, in order. */
    private final Map<String, SafetensorsFile> owners;

    private CheckpointTensors(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> owners) {
        this.dir = dir;
        this.files = files;
        this.owners = owners;
    }

    /**
     * Opens and validates every safetensors file of a checkpoint directory.
     *
     * @throws MalformedCheckpointException naming the file (and tensor) at fault
     */
    public static CheckpointTensors open(Path dir) throws MalformedCheckpointException {
        if (!Files.isDirectory(dir)) {
            throw new MalformedCheckpointException(dir, null, "checkpoint directory does not exist");
        }
        Path single = dir.resolve(SINGLE_FILE);
        Path index = dir.resolve(INDEX_FILE);
        if (Files.exists(single)) {
            SafetensorsFile f = SafetensorsFile.open(single);
            Map<String, SafetensorsFile> owners = new LinkedHashMap<>();
            for (String name : f.tensors().keySet()) {
                owners.put(name, f);
            }
            return new CheckpointTensors(dir, List.of(f), Collections.unmodifiableMap(owners));
        }
        if (!Files.exists(index)) {
            throw new MalformedCheckpointException(dir, null, "neither " + single + " nor " + index + " exists");
        }
        return openSharded(dir, index);
    }

    private static CheckpointTensors openSharded(Path dir, Path index) throws MalformedCheckpointException {
        Map<String, Path> weightMap = readWeightMap(dir, index);

        // Distinct shards in order of first mention.
        Map<Path, List<String>> shards = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : weightMap.entrySet()) {
            shards.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
        }
        List<Path> missing = new ArrayList<>();
        for (Path shard : shards.keySet()) {
            if (!Files.isRegularFile(shard)) {
                missing.add(shard);
            }
        }
        if (!missing.isEmpty()) {
            throw new MalformedCheckpointException(
                    index, null, "shard file(s) listed in the index do not exist: " + missing);
        }

        List<SafetensorsFile> opened = new ArrayList<>();
        boolean ok = false;
        try {
            Map<Path, SafetensorsFile> byPath = new HashMap<>();
            Map<String, SafetensorsFile> seen = new HashMap<>();
            for (Path shard : shards.keySet()) {
                SafetensorsFile f = SafetensorsFile.open(shard);
                opened.add(f);
                byPath.put(shard, f);
                for (String name : f.tensors().keySet()) {
                    SafetensorsFile other = seen.putIfAbsent(name, f);
                    if (other != null) {
                        throw new MalformedCheckpointException(
                                shard, name, "duplicate tensor: also present in shard " + other.path());
                    }
                }
            }
            Map<String, SafetensorsFile> owners = new LinkedHashMap<>();
            for (Map.Entry<String, Path> e : weightMap.entrySet()) {
                SafetensorsFile f = byPath.get(e.getValue());
                if (!f.tensors().containsKey(e.getKey())) {
                    throw new MalformedCheckpointException(
                            e.getValue(), e.getKey(), "tensor listed in " + index + " is missing from this shard");
                }
                owners.put(e.getKey(), f);
            }
            CheckpointTensors result =
                    new CheckpointTensors(dir, List.copyOf(opened), Collections.unmodifiableMap(owners));
            ok = true;
            return result;
        } finally {
            if (!ok) {
                opened.forEach(SafetensorsFile::close);
            }
        }
    }

    /** Tensor name to the resolved shard path, validated. */
    private static Map<String, Path> readWeightMap(Path dir, Path index) throws MalformedCheckpointException {
        JsonNode root;
        try {
            long size = Files.size(index);
            if (size > MAX_INDEX_BYTES) {
                throw new MalformedCheckpointException(
                        index, null, "index of " + size + " bytes exceeds the limit of " + MAX_INDEX_BYTES);
            }
            root = SafetensorsFile.JSON.readTree(Files.readAllBytes(index));
        } catch (JsonProcessingException e) {
            throw new MalformedCheckpointException(
                    index, null, "index is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new MalformedCheckpointException(index, null, "cannot read index: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedCheckpointException(index, null, "index is not a JSON object");
        }
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new MalformedCheckpointException(
                    index, null, "index has no 'weight_map' object" + (wm == null ? "" : " but " + wm.getNodeType()));
        }
        Path base = dir.toAbsolutePath().normalize();
        Map<String, Path> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : wm.properties()) {
            String tensor = e.getKey();
            JsonNode v = e.getValue();
            if (!v.isTextual() || v.textValue().isEmpty()) {
                throw new MalformedCheckpointException(
                        index, tensor, "'weight_map' value is not a non-empty file name but " + v);
            }
            String name = v.textValue();
            Path rel;
            try {
                rel = Path.of(name);
            } catch (InvalidPathException ex) {
                throw new MalformedCheckpointException(index, tensor, "invalid shard path '" + name + "'", ex);
            }
            if (rel.isAbsolute() || rel.getRoot() != null) {
                throw new MalformedCheckpointException(
                        index, tensor, "shard path '" + name + "' is absolute; it must be relative to " + dir);
            }
            Path resolved = base.resolve(rel).normalize();
            if (!resolved.startsWith(base) || resolved.equals(base)) {
                throw new MalformedCheckpointException(
                        index, tensor, "shard path '" + name + "' escapes the checkpoint directory " + dir);
            }
            out.put(tensor, resolved);
        }
        return out;
    }

    /** The checkpoint directory. */
    public Path directory() {
        return dir;
    }

    /** All tensor names, in header (or index) order. Unmodifiable. */
    public Set<String> names() {
        return owners.keySet();
    }

    public Optional<TensorInfo> info(String name) {
        SafetensorsFile f = owners.get(name);
        return f == null ? Optional.empty() : f.info(name);
    }

    private SafetensorsFile owner(String name) throws MalformedCheckpointException {
        SafetensorsFile f = owners.get(name);
        if (f == null) {
            throw new MalformedCheckpointException(dir, name, "no such tensor in the checkpoint");
        }
        return f;
    }

    /** See {@link SafetensorsFile#readFloats}. */
    public float[] readFloats(String name) throws MalformedCheckpointException {
        return owner(name).readFloats(name);
    }

    /** See {@link SafetensorsFile#readRaw}. */
    public ByteBuffer readRaw(String name) throws MalformedCheckpointException {
        return owner(name).readRaw(name);
    }

    /** A copy of the tensor's shape. */
    public long[] shape(String name) throws MalformedCheckpointException {
        return owner(name).info(name).orElseThrow().shape();
    }

    /** Closes every file. Idempotent. */
    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
