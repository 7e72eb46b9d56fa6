package ai.adaptserve.model.checkpoint;

import ai.adaptserve.model.Sha256;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Small safetensors files that carry a {@code checksum} metadata entry: {@code sha256:<hex>} over a domain string
 * (which names the kind of file and its format version), every other metadata entry (by key) and every tensor's name,
 * dtype, shape and bytes (by name). Adapter files and router files use it; readers parse the bytes strictly (no bytes
 * beyond the tensors) and recompute the checksum before trusting anything in the file.
 */
public final class ChecksummedSafetensors {
    /** The metadata key of the checksum. */
    public static final String CHECKSUM = "checksum";

    private ChecksummedSafetensors() {}

    /** One tensor as stored: its dtype, shape and little-endian bytes (position 0 to limit). */
    public record Tensor(TensorDType dtype, long[] shape, ByteBuffer bytes) {
        public Tensor {
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(bytes, "bytes");
        }

        /** An F32 tensor of {@code values}. */
        public static Tensor f32(float[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Tensor(TensorDType.F32, shape.clone(), b);
        }

        /** The values of an F32 tensor. */
        public float[] floats() {
            if (dtype != TensorDType.F32) {
                throw new IllegalStateException("tensor is " + dtype + ", not F32");
            }
            ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b.position(0);
            float[] out = new float[b.remaining() / 4];
            b.asFloatBuffer().get(out);
            return out;
        }

        private byte[] array() {
            ByteBuffer b = bytes.duplicate();
            b.position(0);
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }
    }

    /** What a strictly parsed file holds: its metadata and its tensors by name (in name order). */
    public record Contents(Map<String, String> metadata, Map<String, Tensor> tensors) {}

    /** Bytes that are not a well-formed file of this kind; the message says why, without naming the file. */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        public Invalid(String message) {
            super(message);
        }

        public Invalid(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A writer holding the metadata, its checksum under {@link #CHECKSUM}, and the tensors in name order. */
    public static SafetensorsWriter assemble(String domain, Map<String, String> metadata, Map<String, Tensor> tensors) {
        SafetensorsWriter w = new SafetensorsWriter();
        metadata.forEach(w::metadata);
        w.metadata(CHECKSUM, checksum(domain, metadata, tensors));
        new TreeMap<>(tensors).forEach((name, t) -> w.addRaw(name, t.dtype(), t.array(), t.shape()));
        return w;
    }

    /** SHA-256 over the domain, every metadata entry but the checksum (by key) and every tensor (by name). */
    public static String checksum(String domain, Map<String, String> metadata, Map<String, Tensor> tensors) {
        MessageDigest md = Sha256.digest();
        Sha256.updateString(md, domain);
        TreeMap<String, String> meta = new TreeMap<>(metadata);
        meta.remove(CHECKSUM);
        md.update(ByteBuffer.allocate(4).putInt(meta.size()).flip());
        meta.forEach((k, v) -> {
            Sha256.updateString(md, k);
            Sha256.updateString(md, v);
        });
        md.update(ByteBuffer.allocate(4).putInt(tensors.size()).flip());
        new TreeMap<>(tensors).forEach((name, t) -> {
            Sha256.updateString(md, name);
            Sha256.updateString(md, t.dtype().safetensorsName());
            ByteBuffer shape = ByteBuffer.allocate(4 + 8 * t.shape().length).putInt(t.shape().length);
            for (long d : t.shape()) {
                shape.putLong(d);
            }
            md.update(shape.flip());
            ByteBuffer b = t.bytes().duplicate();
            b.position(0);
            md.update(ByteBuffer.allocate(8).putLong(b.remaining()).flip());
            md.update(b);
        });
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    /**
     * Parses the bytes as a safetensors file with nothing after the tensors. Does not check the checksum (see
     * {@link #verifyChecksum}), so that a reader can first report missing or unknown metadata.
     *
     * @throws Invalid if the bytes are truncated, not valid safetensors, or hold bytes beyond the tensors
     */
    public static Contents parse(byte[] bytes) throws Invalid {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length < 8) {
            throw new Invalid("truncated: " + bytes.length + " bytes, shorter than the 8-byte header length");
        }
        long headerLen =
                ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        // Past SafetensorsFile's header limit, the length field is garbage rather than the file short.
        if (headerLen > 0 && headerLen <= SafetensorsFile.MAX_HEADER_BYTES && headerLen > bytes.length - 8L) {
            throw new Invalid("truncated: the header is " + headerLen + " bytes but only " + (bytes.length - 8)
                    + " bytes follow the length field");
        }
        try (SafetensorsFile f = SafetensorsFile.fromBytes(bytes, Path.of("in-memory"))) {
            long dataLength = bytes.length - 8 - headerLen;
            long covered = f.tensors().values().stream()
                    .mapToLong(TensorInfo::byteLength)
                    .sum();
            if (covered != dataLength) {
                throw new Invalid("the data section holds " + (dataLength - covered) + " bytes beyond the tensors ("
                        + dataLength + " bytes, tensors cover " + covered + ")");
            }
            Map<String, Tensor> tensors = new TreeMap<>();
            for (TensorInfo t : f.tensors().values()) {
                // fromBytes copied the bytes, and the copy outlives the file object.
                tensors.put(t.name(), new Tensor(t.dtype(), t.shape(), f.readRaw(t.name())));
            }
            return new Contents(f.metadata(), tensors);
        } catch (MalformedCheckpointException e) {
            throw new Invalid(
                    "not a valid safetensors file"
                            + e.tensor().map(t -> ", tensor '" + t + "'").orElse("")
                            + ": " + e.problem(),
                    e);
        }
    }

    /**
     * Checks that the file's {@link #CHECKSUM} entry matches its content.
     *
     * @throws Invalid if the entry is missing or does not match
     */
    public static void verifyChecksum(String domain, Contents contents) throws Invalid {
        String stated = contents.metadata().get(CHECKSUM);
        if (stated == null) {
            throw new Invalid("missing metadata '" + CHECKSUM + "'");
        }
        String sum = checksum(domain, contents.metadata(), contents.tensors());
        if (!sum.equals(stated)) {
            throw new Invalid("checksum mismatch: the file says " + stated + ", its content hashes to " + sum);
        }
    }
}
