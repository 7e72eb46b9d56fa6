package ai.adaptserve.model.adapter;

import ai.adaptserve.model.checkpoint.ChecksummedSafetensors;
import ai.adaptserve.model.checkpoint.SafetensorsWriter;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The on-disk and wire format of adapters: a safetensors file.
 *
 * <ul>
 *   <li>SVF ({@link ZVector}): one F32 tensor {@code z.<layer>.<matrix>} of shape {@code [r]} per target, r = min(in,
 *       out) of that matrix.
 *   <li>LoRA ({@link LoraAdapter}): {@code lora.<layer>.<matrix>.A} ({@code [in, rank]}) and {@code .B} ({@code [rank,
 *       out]}), F32.
 * </ul>
 *
 * {@code <layer>.<matrix>} is {@link MatrixRef#key()} ({@code 3.gate}, {@code head}). String metadata: {@code kind}
 * (svf|lora), {@code format_version} (1), {@code base_fingerprint}, {@code targets} (comma-separated keys), {@code rank}
 * and {@code alpha} (lora), {@code preserve_sum} (svf), {@code created} (ISO-8601), {@code training} (free-form) and
 * {@code checksum}: {@code sha256:<hex>} over every other metadata entry and every tensor's name, dtype, shape and
 * bytes, in name order. Readers verify structure, length, checksum, base model and shapes before anything is used.
 */
public final class AdapterFile {
    static final String FORMAT_VERSION = "1";

    static final String KIND = "kind";
    static final String FORMAT = "format_version";
    static final String BASE = "base_fingerprint";
    static final String TARGETS = "targets";
    static final String RANK = "rank";
    static final String ALPHA = "alpha";
    static final String PRESERVE_SUM = "preserve_sum";
    static final String CREATED = "created";
    static final String TRAINING = "training";
    static final String CHECKSUM = ChecksummedSafetensors.CHECKSUM;

    /** What the checksum hashes first, so that an adapter's checksum never fits another kind of file. */
    private static final String DOMAIN = "adaptserve-adapter-v" + FORMAT_VERSION;

    private AdapterFile() {}

    /**
     * What the file says about the adapter besides its parameters.
     *
     * @param baseFingerprint the base model's fingerprint ({@code sha256:<hex>})
     * @param training free-form summary of how it was trained (JSON, say); empty if none
     */
    public record Metadata(String baseFingerprint, Instant created, String training) {
        public Metadata {
            Objects.requireNonNull(baseFingerprint, "baseFingerprint");
            Objects.requireNonNull(created, "created");
            training = training == null ? "" : training;
        }
    }

    /** A verified adapter and its metadata. */
    public record Read(Adapter adapter, Metadata metadata) {}

    /** One tensor as stored: F32 little-endian bytes. */
    record RawTensor(TensorDType dtype, long[] shape, byte[] bytes) {}

    // ---------------------------------------------------------------- writing

    /** The adapter file in memory. */
    public static byte[] toBytes(Adapter adapter, Metadata metadata) {
        return assemble(metadataFor(adapter, metadata), tensorsFor(adapter)).toBytes();
    }

    /** Writes the adapter file atomically (a temporary file in the same directory, then a move). */
    public static void write(Path file, Adapter adapter, Metadata metadata) throws IOException {
        assemble(metadataFor(adapter, metadata), tensorsFor(adapter)).write(file);
    }

    /** The metadata entries, without the checksum. */
    static Map<String, String> metadataFor(Adapter adapter, Metadata metadata) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(KIND, adapter.kind());
        m.put(FORMAT, FORMAT_VERSION);
        m.put(BASE, metadata.baseFingerprint());
        m.put(TARGETS, targetsString(adapter.targets()));
        switch (adapter) {
            case ZVector z -> m.put(PRESERVE_SUM, Boolean.toString(z.preserveSum()));
            case LoraAdapter l -> {
                m.put(RANK, Integer.toString(l.rank()));
                m.put(ALPHA, Float.toString(l.alpha()));
            }
        }
        m.put(CREATED, metadata.created().toString());
        m.put(TRAINING, metadata.training());
        return m;
    }

    static Map<String, RawTensor> tensorsFor(Adapter adapter) {
        Map<String, RawTensor> t = new TreeMap<>();
        switch (adapter) {
            case ZVector z -> z.z().forEach((ref, v) -> t.put("z." + ref.key(), f32(v, v.length)));
            case LoraAdapter l ->
                l.weights().forEach((ref, f) -> {
                    t.put("lora." + ref.key() + ".A", f32(f.a(), f.in(), l.rank()));
                    t.put("lora." + ref.key() + ".B", f32(f.b(), l.rank(), f.out()));
                });
        }
        return t;
    }

    private static RawTensor f32(float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new RawTensor(TensorDType.F32, shape, b.array());
    }

    /** A writer holding the given metadata (plus its checksum) and tensors. Tests use it to build odd files. */
    static SafetensorsWriter assemble(Map<String, String> metadata, Map<String, RawTensor> tensors) {
        Map<String, ChecksummedSafetensors.Tensor> views = new TreeMap<>();
        tensors.forEach((name, t) ->
                views.put(name, new ChecksummedSafetensors.Tensor(t.dtype(), t.shape(), ByteBuffer.wrap(t.bytes()))));
        return ChecksummedSafetensors.assemble(DOMAIN, metadata, views);
    }

    private static String targetsString(Set<MatrixRef> targets) {
        return targets.stream().sorted().map(MatrixRef::key).collect(Collectors.joining(","));
    }

    // ---------------------------------------------------------------- reading

    /** Reads and verifies an adapter file; see {@link #fromBytes}. Messages name the file. */
    public static Read read(Path file, String expectedBaseFingerprint, ModelConfig config)
            throws MalformedAdapterException, IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new MalformedAdapterException(file + ": " + size + " bytes is too large for an adapter");
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
            return fromBytes(bytes, expectedBaseFingerprint, config);
        } catch (MalformedAdapterException e) {
            throw new MalformedAdapterException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses and verifies adapter bytes: safetensors structure and length, checksum, that the base fingerprint equals
     * {@code expectedBaseFingerprint}, and that every tensor fits the model ({@code config}): z has r = min(in, out)
     * values, LoRA A is {@code [in, rank]} and B {@code [rank, out]}, layers are within the model, every LoRA A has its
     * B, and there are no other tensors.
     */
    public static Read fromBytes(byte[] bytes, String expectedBaseFingerprint, ModelConfig config)
            throws MalformedAdapterException {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(expectedBaseFingerprint, "expectedBaseFingerprint");
        Objects.requireNonNull(config, "config");
        try {
            return verify(ChecksummedSafetensors.parse(bytes), expectedBaseFingerprint, config);
        } catch (ChecksummedSafetensors.Invalid e) {
            throw new MalformedAdapterException(e.getMessage(), e);
        }
    }

    private static Read verify(ChecksummedSafetensors.Contents f, String expectedBase, ModelConfig config)
            throws MalformedAdapterException, ChecksummedSafetensors.Invalid {
        Map<String, String> meta = f.metadata();
        for (String key : List.of(KIND, FORMAT, BASE, TARGETS, CREATED, TRAINING, CHECKSUM)) {
            if (!meta.containsKey(key)) {
                throw new MalformedAdapterException("missing metadata '" + key + "'");
            }
        }
        if (!FORMAT_VERSION.equals(meta.get(FORMAT))) {
            throw new MalformedAdapterException(
                    "unsupported format_version '" + meta.get(FORMAT) + "' (this reader knows " + FORMAT_VERSION + ")");
        }
        String kind = meta.get(KIND);
        if (!kind.equals("svf") && !kind.equals("lora")) {
            throw new MalformedAdapterException("unknown adapter kind '" + kind + "' (expected svf or lora)");
        }

        Map<String, ChecksummedSafetensors.Tensor> views = f.tensors();
        ChecksummedSafetensors.verifyChecksum(DOMAIN, f);
        String base = meta.get(BASE);
        if (!base.equals(expectedBase)) {
            throw new MalformedAdapterException(
                    "base fingerprint " + base + " does not match the loaded model " + expectedBase);
        }
        Instant created;
        try {
            created = Instant.parse(meta.get(CREATED));
        } catch (DateTimeParseException e) {
            throw new MalformedAdapterException("created '" + meta.get(CREATED) + "' is not an ISO-8601 instant", e);
        }
        Metadata metadata = new Metadata(base, created, meta.get(TRAINING));

        for (var e : views.entrySet()) {
            if (e.getValue().dtype() != TensorDType.F32) {
                throw new MalformedAdapterException(
                        e.getKey() + " is " + e.getValue().dtype() + ", adapter tensors are F32");
            }
        }
        Adapter adapter = kind.equals("svf") ? zVector(meta, views, config) : lora(meta, views, config);
        String targets = targetsString(adapter.targets());
        if (!targets.equals(meta.get(TARGETS))) {
            throw new MalformedAdapterException(
                    "targets metadata '" + meta.get(TARGETS) + "' does not match the tensors (" + targets + ")");
        }
        return new Read(adapter, metadata);
    }

    private static ZVector zVector(
            Map<String, String> meta, Map<String, ChecksummedSafetensors.Tensor> views, ModelConfig config)
            throws MalformedAdapterException {
        String ps = meta.get(PRESERVE_SUM);
        if (!"true".equals(ps) && !"false".equals(ps)) {
            throw new MalformedAdapterException(
                    ps == null ? "missing metadata 'preserve_sum'" : "preserve_sum '" + ps + "' is not true or false");
        }
        Map<MatrixRef, float[]> z = new TreeMap<>();
        for (var e : views.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("z.")) {
                throw unknown(name, "svf", "z.<layer>.<matrix>");
            }
            MatrixRef ref = ref(name, name.substring(2), "svf", "z.<layer>.<matrix>", config);
            int r = Math.min(ref.matrix().in(config), ref.matrix().out(config));
            long[] shape = e.getValue().shape();
            if (shape.length != 1) {
                throw new MalformedAdapterException(
                        name + " has shape " + Arrays.toString(shape) + ", expected [" + r + "]");
            }
            if (shape[0] != r) {
                throw new MalformedAdapterException(name + " has " + shape[0] + " values, the matrix has rank " + r);
            }
            z.put(ref, floats(e.getValue()));
        }
        try {
            return new ZVector(z, Boolean.parseBoolean(ps));
        } catch (IllegalArgumentException ex) {
            throw new MalformedAdapterException(ex.getMessage(), ex);
        }
    }

    private static LoraAdapter lora(
            Map<String, String> meta, Map<String, ChecksummedSafetensors.Tensor> views, ModelConfig config)
            throws MalformedAdapterException {
        for (String key : List.of(RANK, ALPHA)) {
            if (!meta.containsKey(key)) {
                throw new MalformedAdapterException("missing metadata '" + key + "'");
            }
        }
        int rank;
        float alpha;
        try {
            rank = Integer.parseInt(meta.get(RANK));
        } catch (NumberFormatException e) {
            throw new MalformedAdapterException("rank '" + meta.get(RANK) + "' is not an integer", e);
        }
        try {
            alpha = Float.parseFloat(meta.get(ALPHA));
        } catch (NumberFormatException e) {
            throw new MalformedAdapterException("alpha '" + meta.get(ALPHA) + "' is not a number", e);
        }
        if (rank <= 0) {
            throw new MalformedAdapterException("rank " + rank + " is not positive");
        }
        if (!(alpha > 0) || Float.isInfinite(alpha)) {
            throw new MalformedAdapterException("alpha " + meta.get(ALPHA) + " is not a positive number");
        }
        Map<MatrixRef, float[]> as = new TreeMap<>();
        Map<MatrixRef, float[]> bs = new TreeMap<>();
        String expected = "lora.<layer>.<matrix>.A or .B";
        for (var e : views.entrySet()) {
            String name = e.getKey();
            boolean isA = name.endsWith(".A");
            // "lora." + at least one character of key + ".A": "lora.A" alone would overlap prefix and suffix.
            if (!name.startsWith("lora.") || name.length() < 8 || !(isA || name.endsWith(".B"))) {
                throw unknown(name, "lora", expected);
            }
            MatrixRef ref = ref(name, name.substring(5, name.length() - 2), "lora", expected, config);
            int in = ref.matrix().in(config);
            int out = ref.matrix().out(config);
            long[] want = isA ? new long[] {in, rank} : new long[] {rank, out};
            long[] shape = e.getValue().shape();
            if (!Arrays.equals(shape, want)) {
                throw new MalformedAdapterException(name + " has shape " + Arrays.toString(shape) + ", expected "
                        + (isA ? "[in, rank] = " : "[rank, out] = ") + Arrays.toString(want)
                        + " for this model and rank " + rank);
            }
            (isA ? as : bs).put(ref, floats(e.getValue()));
        }
        for (MatrixRef ref : as.keySet()) {
            if (!bs.containsKey(ref)) {
                throw new MalformedAdapterException(
                        "lora." + ref.key() + ".A has no matching lora." + ref.key() + ".B");
            }
        }
        for (MatrixRef ref : bs.keySet()) {
            if (!as.containsKey(ref)) {
                throw new MalformedAdapterException(
                        "lora." + ref.key() + ".B has no matching lora." + ref.key() + ".A");
            }
        }
        Map<MatrixRef, LoraAdapter.Factors> weights = new TreeMap<>();
        try {
            for (MatrixRef ref : as.keySet()) {
                weights.put(
                        ref,
                        new LoraAdapter.Factors(
                                ref.matrix().in(config), ref.matrix().out(config), as.get(ref), bs.get(ref)));
            }
            return new LoraAdapter(rank, alpha, weights);
        } catch (IllegalArgumentException ex) {
            throw new MalformedAdapterException(ex.getMessage(), ex);
        }
    }

    /** The matrix a tensor name refers to; the key must be canonical and the layer inside the model. */
    private static MatrixRef ref(String name, String key, String kind, String expected, ModelConfig config)
            throws MalformedAdapterException {
        MatrixRef ref;
        try {
            ref = MatrixRef.parseKey(key);
        } catch (IllegalArgumentException e) {
            throw new MalformedAdapterException(
                    "unknown tensor name '" + name + "' in a " + kind + " adapter (expected " + expected + "): "
                            + e.getMessage(),
                    e);
        }
        if (!ref.key().equals(key)) {
            throw unknown(name, kind, expected);
        }
        if (ref.layer() >= config.numLayers()) {
            throw new MalformedAdapterException(name + ": layer " + ref.layer() + " is beyond the model's "
                    + config.numLayers() + " layers (0.." + (config.numLayers() - 1) + ")");
        }
        return ref;
    }

    private static MalformedAdapterException unknown(String name, String kind, String expected) {
        return new MalformedAdapterException(
                "unknown tensor name '" + name + "' in a " + kind + " adapter (expected " + expected + ")");
    }

    private static float[] floats(ChecksummedSafetensors.Tensor t) {
        return t.floats();
    }
}
