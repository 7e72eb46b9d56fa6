package ai.adaptserve.model.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An open safetensors file, memory-mapped read-only (or an in-memory image, see {@link #fromBytes}). The file is treated as untrusted: every header field is validated
 * on open, and only the header is read into the heap.
 *
 * <p>Layout: 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON, then the data section. Tensor byte
 * offsets in the header are relative to the data section.
 *
 * <p>Buffers returned by {@link #readRaw} stay valid after {@link #close()} (the mapping is released by the garbage
 * collector), but no new reads are allowed after close. Reads are safe from several threads.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest accepted header, as in the reference implementation. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Largest data section mapped as a single region; bigger files are mapped per tensor on read. */
    static final long DEFAULT_SINGLE_MAP_LIMIT = Integer.MAX_VALUE;

    static final String METADATA_KEY = "__metadata__";

    /** Shared, thread-safe JSON reader for untrusted headers: duplicate keys and trailing tokens are errors. */
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Without duplicate detection: only to find the duplicated key for the error message. */
    private static final JsonFactory LENIENT_JSON = new JsonFactory();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final long dataLength;
    /** The whole data section, or null if it is mapped per tensor. */
    private final ByteBuffer data;

    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;
    private volatile boolean closed;

    private SafetensorsFile(
            Path path,
            FileChannel channel,
            long dataStart,
            long dataLength,
            ByteBuffer data,
            Map<String, String> metadata,
            Map<String, TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.dataLength = dataLength;
        this.data = data;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /**
     * Opens and validates a safetensors file.
     *
     * @throws MalformedCheckpointException if the file is missing, unreadable or malformed; the message names the file
     *     and the offending tensor
     */
    public static SafetensorsFile open(Path file) throws MalformedCheckpointException {
        return open(file, DEFAULT_SINGLE_MAP_LIMIT);
    }

    /** As {@link #open(Path)}, mapping the data section as one region only if it is at most {@code singleMapLimit}. */
    static SafetensorsFile open(Path file, long singleMapLimit) throws MalformedCheckpointException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new MalformedCheckpointException(file, null, "file does not exist", e);
        } catch (IOException | RuntimeException e) {
            throw new MalformedCheckpointException(file, null, "cannot open: " + e, e);
        }
        try {
            SafetensorsFile f = open(file, ch, singleMapLimit);
            ch = null;
            return f;
        } finally {
            if (ch != null) {
                closeQuietly(ch);
            }
        }
    }

    private static SafetensorsFile open(Path file, FileChannel ch, long singleMapLimit)
            throws MalformedCheckpointException {
        try {
            long size = ch.size();
            checkSize(file, size);
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            checkHeaderLength(file, size, headerLen);
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            long dataStart = 8 + headerLen;
            long dataLength = size - dataStart;

            Header header = parseHeader(file, headerBuf.array(), dataLength);

            ByteBuffer data = null;
            if (dataLength <= singleMapLimit) {
                data = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLength);
            }
            return new SafetensorsFile(file, ch, dataStart, dataLength, data, header.metadata, header.tensors);
        } catch (IOException | RuntimeException e) {
            throw new MalformedCheckpointException(file, null, "cannot read: " + e, e);
        }
    }

    /**
     * Validates an in-memory safetensors image (an adapter received over the network, say) with the same checks as
     * {@link #open(Path)}. The bytes are copied.
     *
     * @param name how error messages name the image (it need not exist as a file)
     * @throws MalformedCheckpointException if the image is malformed; the message names {@code name} and the tensor
     */
    public static SafetensorsFile fromBytes(byte[] bytes, Path name) throws MalformedCheckpointException {
        byte[] copy = bytes.clone();
        long size = copy.length;
        checkSize(name, size);
        long headerLen =
                ByteBuffer.wrap(copy, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        checkHeaderLength(name, size, headerLen);
        byte[] json = Arrays.copyOfRange(copy, 8, 8 + (int) headerLen);
        long dataStart = 8 + headerLen;
        long dataLength = size - dataStart;
        Header header = parseHeader(name, json, dataLength);
        ByteBuffer data =
                ByteBuffer.wrap(copy, (int) dataStart, (int) dataLength).slice();
        return new SafetensorsFile(name, null, dataStart, dataLength, data, header.metadata, header.tensors);
    }

    private static void checkSize(Path file, long size) throws MalformedCheckpointException {
        if (size < 8) {
            throw new MalformedCheckpointException(
                    file, null, "file is " + size + " bytes, shorter than the 8-byte header length");
        }
    }

    private static void checkHeaderLength(Path file, long size, long headerLen) throws MalformedCheckpointException {
        if (headerLen < 0) {
            throw new MalformedCheckpointException(
                    file, null, "header length " + Long.toUnsignedString(headerLen) + " is out of range");
        }
        if (headerLen == 0) {
            throw new MalformedCheckpointException(file, null, "header length is zero");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new MalformedCheckpointException(
                    file, null, "header length " + headerLen + " exceeds the limit of " + MAX_HEADER_BYTES);
        }
        if (headerLen > size - 8) {
            throw new MalformedCheckpointException(
                    file,
                    null,
                    "header length " + headerLen + " exceeds the " + (size - 8) + " bytes after the length field");
        }
    }

    private record Header(Map<String, String> metadata, Map<String, TensorInfo> tensors) {}

    private static Header parseHeader(Path file, byte[] json, long dataLength) throws MalformedCheckpointException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            String duplicate = duplicateTopLevelKey(json);
            if (duplicate != null) {
                throw new MalformedCheckpointException(file, duplicate, "duplicate tensor name in header", e);
            }
            // Also reports duplicate keys nested inside an entry.
            throw new MalformedCheckpointException(
                    file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new MalformedCheckpointException(file, null, "header is not valid JSON: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedCheckpointException(
                    file, null, "header is not a JSON object but " + (root == null ? "empty" : root.getNodeType()));
        }

        Map<String, String> metadata = Map.of();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (METADATA_KEY.equals(name)) {
                metadata = parseMetadata(file, node);
            } else {
                tensors.put(name, parseTensor(file, name, node, dataLength));
            }
        }
        checkOverlaps(file, tensors);
        return new Header(metadata, Collections.unmodifiableMap(tensors));
    }

    /** The first repeated key of the top-level object, or null (also if the JSON is not an object or is invalid). */
    private static String duplicateTopLevelKey(byte[] json) {
        try (JsonParser p = LENIENT_JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            Set<String> seen = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (!seen.add(name)) {
                    return name;
                }
                p.nextToken();
                p.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) throws MalformedCheckpointException {
        if (node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new MalformedCheckpointException(
                    file, null, METADATA_KEY + " is not a JSON object but " + node.getNodeType());
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new MalformedCheckpointException(
                        file,
                        null,
                        METADATA_KEY + " value for key '" + e.getKey() + "' is not a string but "
                                + e.getValue().getNodeType());
            }
            m.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(m);
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node, long dataLength)
            throws MalformedCheckpointException {
        if (!node.isObject()) {
            throw new MalformedCheckpointException(
                    file, name, "header entry is not a JSON object but " + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null) {
            throw new MalformedCheckpointException(file, name, "missing 'dtype'");
        }
        if (shapeNode == null) {
            throw new MalformedCheckpointException(file, name, "missing 'shape'");
        }
        if (offsetsNode == null) {
            throw new MalformedCheckpointException(file, name, "missing 'data_offsets'");
        }
        if (!dtypeNode.isTextual()) {
            throw new MalformedCheckpointException(
                    file, name, "'dtype' is not a string but " + dtypeNode.getNodeType());
        }
        TensorDType dtype;
        try {
            dtype = TensorDType.fromSafetensorsName(dtypeNode.textValue());
        } catch (IllegalArgumentException e) {
            throw new MalformedCheckpointException(
                    file, name, "unknown or unsupported dtype '" + dtypeNode.textValue() + "'");
        }
        long[] shape = longArray(file, name, "shape", shapeNode);
        for (long d : shape) {
            if (d < 0) {
                throw new MalformedCheckpointException(file, name, "negative dimension " + d + " in 'shape'");
            }
        }
        long[] offsets = longArray(file, name, "data_offsets", offsetsNode);
        if (offsets.length != 2) {
            throw new MalformedCheckpointException(
                    file, name, "'data_offsets' has " + offsets.length + " elements, expected 2 [begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < 0) {
            throw new MalformedCheckpointException(file, name, "negative 'data_offsets' [" + begin + ", " + end + "]");
        }
        if (begin > end) {
            throw new MalformedCheckpointException(
                    file, name, "'data_offsets' begin " + begin + " is after end " + end);
        }
        if (end > dataLength) {
            throw new MalformedCheckpointException(
                    file,
                    name,
                    "'data_offsets' end " + end + " is beyond the data section of " + dataLength
                            + " bytes (file truncated?)");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new MalformedCheckpointException(
                    file, name, "element count of shape " + Arrays.toString(shape) + " overflows");
        }
        if (expectedBytes != end - begin) {
            throw new MalformedCheckpointException(
                    file,
                    name,
                    "shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expectedBytes
                            + " bytes but 'data_offsets' [" + begin + ", " + end + "] span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] longArray(Path file, String name, String field, JsonNode node)
            throws MalformedCheckpointException {
        if (!node.isArray()) {
            throw new MalformedCheckpointException(
                    file, name, "'" + field + "' is not a JSON array but " + node.getNodeType());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new MalformedCheckpointException(
                        file, name, "'" + field + "'[" + i + "] is not a 64-bit integer: " + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void checkOverlaps(Path file, Map<String, TensorInfo> tensors) throws MalformedCheckpointException {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : tensors.values()) {
            if (t.end() > t.begin()) { // empty tensors occupy no bytes
                sorted.add(t);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new MalformedCheckpointException(
                        file,
                        cur.name(),
                        "byte range [" + cur.begin() + ", " + cur.end() + ") overlaps tensor '" + prev.name() + "' ["
                                + prev.begin() + ", " + prev.end() + ")");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at offset " + pos);
            }
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }

    public Path path() {
        return path;
    }

    /** The "__metadata__" string map, empty if none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors, in header order. Unmodifiable. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    private TensorInfo require(String name) throws MalformedCheckpointException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new MalformedCheckpointException(path, name, "no such tensor in this file");
        }
        return t;
    }

    /**
     * The tensor's bytes: a read-only, little-endian buffer positioned at 0.
     *
     * @throws MalformedCheckpointException if there is no such tensor, or it is larger than a ByteBuffer can hold
     * @throws IllegalStateException if the file is closed
     */
    public ByteBuffer readRaw(String name) throws MalformedCheckpointException {
        TensorInfo t = require(name);
        return slice(t);
    }

    private ByteBuffer slice(TensorInfo t) throws MalformedCheckpointException {
        if (closed) {
            throw new IllegalStateException("safetensors file is closed: " + path);
        }
        long len = t.byteLength();
        ByteBuffer b;
        if (data != null) {
            b = data.slice((int) t.begin(), (int) len);
        } else {
            if (len > Integer.MAX_VALUE) {
                throw new MalformedCheckpointException(
                        path, t.name(), "tensor of " + len + " bytes exceeds the 2 GB limit of a single buffer");
            }
            try {
                MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), len);
                b = m;
            } catch (IOException | RuntimeException e) {
                throw new MalformedCheckpointException(path, t.name(), "cannot map tensor data: " + e, e);
            }
        }
        return b.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The tensor's elements as floats: F32 as is, F16 and BF16 widened, F64 narrowed, integer types converted (U8 as
     * unsigned, BOOL as 0 or 1).
     *
     * @throws MalformedCheckpointException if there is no such tensor, or it has too many elements for a float[]
     * @throws IllegalStateException if the file is closed
     */
    public float[] readFloats(String name) throws MalformedCheckpointException {
        TensorInfo t = require(name);
        long count = t.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new MalformedCheckpointException(path, name, count + " elements are too many for a float[]");
        }
        ByteBuffer b = slice(t);
        int n = (int) count;
        float[] out = new float[n];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                var db = b.asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = (float) db.get(i);
                }
            }
            case F16 -> {
                var sb = b.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(sb.get(i));
                }
            }
            case BF16 -> {
                var sb = b.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((sb.get(i) & 0xFFFF) << 16);
                }
            }
            case I64 -> {
                var lb = b.asLongBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = lb.get(i);
                }
            }
            case I32 -> {
                var ib = b.asIntBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = ib.get(i);
                }
            }
            case I16 -> {
                var sb = b.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = sb.get(i);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) & 0xFF;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) != 0 ? 1f : 0f;
                }
            }
        }
        return out;
    }

    /** Closes the file. Idempotent. Buffers already returned by {@link #readRaw} remain readable. */
    @Override
    public void close() {
        closed = true;
        if (channel != null) {
            closeQuietly(channel);
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors, " + dataLength + " data bytes]";
    }
}
