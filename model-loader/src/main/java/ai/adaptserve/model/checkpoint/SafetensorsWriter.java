package ai.adaptserve.model.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Writes safetensors files: an 8-byte little-endian header length, the JSON header padded with spaces to a multiple
 * of 8 bytes, then the tensors' data in the order they were added. Not thread-safe.
 */
public final class SafetensorsWriter {

    private record Entry(TensorDType dtype, long[] shape, byte[] bytes) {}

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public SafetensorsWriter() {}

    /** Adds (or replaces) one "__metadata__" entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Adds a tensor from floats, converted to {@code dtype}: F32 as is, F16 and BF16 rounded to nearest even, F64
     * widened.
     *
     * @throws IllegalArgumentException for a duplicate name, another dtype, a negative dimension, or
     *     {@code data.length} different from the product of the shape
     */
    public SafetensorsWriter add(String name, TensorDType dtype, float[] data, long... shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        checkNew(name, shape);
        long count = TensorInfo.elementCount(shape);
        if (count != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.length + " values do not match shape "
                    + Arrays.toString(shape) + " (" + count + " elements)");
        }
        long bytes = (long) data.length * dtype.byteSize();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + name + "' is too large: " + bytes + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> {
                for (float f : data) {
                    b.putInt(Float.floatToRawIntBits(f));
                }
            }
            case F16 -> {
                for (float f : data) {
                    b.putShort(Float.floatToFloat16(f));
                }
            }
            case BF16 -> {
                for (float f : data) {
                    b.putShort(toBf16(f));
                }
            }
            case F64 -> {
                for (float f : data) {
                    b.putDouble(f);
                }
            }
            default ->
                throw new IllegalArgumentException(
                        "tensor '" + name + "': cannot convert floats to " + dtype + "; use addRaw");
        }
        entries.put(name, new Entry(dtype, shape.clone(), b.array()));
        return this;
    }

    /**
     * Adds a tensor from its little-endian bytes (copied).
     *
     * @throws IllegalArgumentException for a duplicate name, a negative dimension, or a byte count different from
     *     product(shape) × dtype size
     */
    public SafetensorsWriter addRaw(String name, TensorDType dtype, byte[] littleEndianBytes, long... shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(littleEndianBytes, "littleEndianBytes");
        checkNew(name, shape);
        long expected;
        try {
            expected = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " overflows");
        }
        if (expected != littleEndianBytes.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + littleEndianBytes.length
                    + " bytes do not match shape " + Arrays.toString(shape) + " of " + dtype + " (" + expected
                    + " bytes)");
        }
        entries.put(name, new Entry(dtype, shape.clone(), littleEndianBytes.clone()));
        return this;
    }

    private void checkNew(String name, long[] shape) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        if (SafetensorsFile.METADATA_KEY.equals(name)) {
            throw new IllegalArgumentException("'" + name + "' is reserved and cannot name a tensor");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(
                        "tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
            }
        }
        try {
            TensorInfo.elementCount(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " overflows");
        }
    }

    /** Float to bfloat16 bits, rounding to nearest even; NaN stays a (quiet) NaN. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** The header bytes: length field, JSON and padding. */
    private byte[] header() {
        ObjectNode root = SafetensorsFile.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject(SafetensorsFile.METADATA_KEY);
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry t = e.getValue();
            ObjectNode n = root.putObject(e.getKey());
            n.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long end = offset + t.bytes().length;
            n.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = SafetensorsFile.JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded);
        b.put(json);
        while (b.hasRemaining()) {
            b.put((byte) ' ');
        }
        return b.array();
    }

    private long dataLength() {
        long n = 0;
        for (Entry e : entries.values()) {
            n += e.bytes().length;
        }
        return n;
    }

    /**
     * The whole file in memory.
     *
     * @throws IllegalStateException if it would exceed 2 GB (use {@link #write})
     */
    public byte[] toBytes() {
        byte[] header = header();
        long total = header.length + dataLength();
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("safetensors file of " + total + " bytes is too large for a byte[]");
        }
        byte[] out = new byte[(int) total];
        System.arraycopy(header, 0, out, 0, header.length);
        int pos = header.length;
        for (Entry e : entries.values()) {
            System.arraycopy(e.bytes(), 0, out, pos, e.bytes().length);
            pos += e.bytes().length;
        }
        return out;
    }

    /**
     * Writes the file atomically: to a temporary file in the same directory, forced to disk, then moved over
     * {@code file}.
     */
    public void write(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(header()));
                for (Entry e : entries.values()) {
                    writeFully(ch, ByteBuffer.wrap(e.bytes()));
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
