package ai.adaptserve.model.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterFileTest {
    static final ModelConfig CFG = TestModels.tinyLlama(false, false); // hidden 64, mlp 160, 3 layers, kv 32
    static final String BASE = "sha256:" + "1f".repeat(32);
    static final String OTHER = "sha256:" + "2e".repeat(32);
    static final AdapterFile.Metadata META =
            new AdapterFile.Metadata(BASE, Instant.parse("2025-01-02T03:04:05.123Z"), "{\"task\":\"reverse\"}");

    @TempDir
    Path tmp;

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    static ZVector zVector() {
        Map<MatrixRef, float[]> z = new TreeMap<>();
        z.put(new MatrixRef(0, TargetMatrix.GATE), random(64, 1));
        z.put(new MatrixRef(1, TargetMatrix.K), random(32, 2)); // 64 -> 32: rank 32
        z.put(new MatrixRef(2, TargetMatrix.DOWN), random(64, 3));
        z.put(MatrixRef.head(), random(64, 4));
        return new ZVector(z, true);
    }

    static LoraAdapter.Factors factors(int in, int out, int rank, long seed) {
        return new LoraAdapter.Factors(in, out, random(in * rank, seed), random(rank * out, seed + 100));
    }

    static LoraAdapter lora() {
        Map<MatrixRef, LoraAdapter.Factors> w = new TreeMap<>();
        w.put(new MatrixRef(0, TargetMatrix.Q), factors(64, 64, 4, 1));
        w.put(new MatrixRef(1, TargetMatrix.DOWN), factors(160, 64, 4, 2));
        w.put(new MatrixRef(2, TargetMatrix.V), factors(64, 32, 4, 3));
        w.put(MatrixRef.head(), factors(64, CFG.vocabSize(), 4, 4));
        return new LoraAdapter(4, 8.5f, w);
    }

    static MalformedAdapterException rejected(byte[] bytes) {
        return rejected(bytes, BASE);
    }

    static MalformedAdapterException rejected(byte[] bytes, String base) {
        return assertThrows(MalformedAdapterException.class, () -> AdapterFile.fromBytes(bytes, base, CFG));
    }

    static void assertMessage(MalformedAdapterException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    /** The file with its JSON header edited (and the length field and padding redone). */
    static byte[] rewriteHeader(byte[] bytes, UnaryOperator<String> edit) {
        int n = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String json = new String(bytes, 8, n, StandardCharsets.UTF_8).strip();
        String edited = edit.apply(json);
        assertTrue(!edited.equals(json), "the edit changed nothing in " + json);
        byte[] h = edited.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) & ~7;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + bytes.length - 8 - n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        out.put(bytes, 8 + n, bytes.length - 8 - n);
        return out.array();
    }

    static int dataStart(byte[] bytes) {
        return 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    static AdapterFile.RawTensor f32(float[] v, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return new AdapterFile.RawTensor(TensorDType.F32, shape, b.array());
    }

    /** A file with a valid checksum whose metadata and tensors the test edits first. */
    static byte[] crafted(
            Adapter adapter, Consumer<Map<String, String>> meta, Consumer<Map<String, AdapterFile.RawTensor>> tensors) {
        Map<String, String> m = AdapterFile.metadataFor(adapter, META);
        Map<String, AdapterFile.RawTensor> t = AdapterFile.tensorsFor(adapter);
        meta.accept(m);
        tensors.accept(t);
        return AdapterFile.assemble(m, t).toBytes();
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void zVectorRoundTrips() throws Exception {
        ZVector z = zVector();
        AdapterFile.Read read = AdapterFile.fromBytes(AdapterFile.toBytes(z, META), BASE, CFG);
        assertEquals(z, read.adapter());
        assertEquals(META, read.metadata());

        Path file = tmp.resolve("sub/z.safetensors");
        AdapterFile.write(file, z, META);
        AdapterFile.Read fromFile = AdapterFile.read(file, BASE, CFG);
        assertEquals(z, fromFile.adapter());
        assertEquals(META, fromFile.metadata());
        try (var files = Files.list(file.getParent())) {
            assertEquals(
                    List.of(file.getFileName()), files.map(Path::getFileName).toList(), "temporary files left");
        }

        ZVector plain = new ZVector(Map.of(new MatrixRef(1, TargetMatrix.UP), random(64, 9)), false);
        assertEquals(
                plain,
                AdapterFile.fromBytes(AdapterFile.toBytes(plain, META), BASE, CFG)
                        .adapter());
    }

    @Test
    void loraRoundTrips() throws Exception {
        LoraAdapter l = lora();
        AdapterFile.Read read = AdapterFile.fromBytes(AdapterFile.toBytes(l, META), BASE, CFG);
        assertEquals(l, read.adapter());
        assertEquals(8.5f, ((LoraAdapter) read.adapter()).alpha());
        assertEquals(META, read.metadata());

        Path file = tmp.resolve("l.safetensors");
        AdapterFile.write(file, l, META);
        assertEquals(l, AdapterFile.read(file, BASE, CFG).adapter());
    }

    @Test
    void bytesAreDeterministicAndNamedAsDesigned() throws Exception {
        byte[] a = AdapterFile.toBytes(lora(), META);
        byte[] b = AdapterFile.toBytes(lora(), META);
        assertTrue(Arrays.equals(a, b));
        String header = new String(a, 8, dataStart(a) - 8, StandardCharsets.UTF_8);
        for (String s : List.of(
                "\"lora.0.q.A\"",
                "\"lora.1.down.B\"",
                "\"lora.head.A\"",
                "\"kind\":\"lora\"",
                "\"format_version\":\"1\"",
                "\"rank\":\"4\"",
                "\"alpha\":\"8.5\"",
                "\"targets\":\"head,0.q,1.down,2.v\"",
                "\"created\":\"2025-01-02T03:04:05.123Z\"",
                "\"checksum\":\"sha256:")) {
            assertTrue(header.contains(s), s + " not in " + header);
        }
        String zHeader = new String(AdapterFile.toBytes(zVector(), META), StandardCharsets.UTF_8);
        assertTrue(zHeader.contains("\"z.0.gate\"")
                && zHeader.contains("\"z.head\"")
                && zHeader.contains("\"preserve_sum\":\"true\"")
                && zHeader.contains("\"kind\":\"svf\""));
    }

    // ---------------------------------------------------------------- tampering

    @Test
    void flippedDataByteFailsTheChecksum() {
        for (Adapter a : List.<Adapter>of(zVector(), lora())) {
            byte[] good = AdapterFile.toBytes(a, META);
            int start = dataStart(good);
            for (int pos :
                    new int[] {start, start + (good.length - start) / 3, (start + good.length) / 2, good.length - 1}) {
                byte[] bad = good.clone();
                bad[pos] ^= 0x04;
                assertMessage(rejected(bad), "checksum mismatch");
            }
        }
    }

    @Test
    void tamperedMetadataFailsTheChecksum() {
        byte[] l = AdapterFile.toBytes(lora(), META);
        assertMessage(
                rejected(rewriteHeader(l, j -> j.replace("\"alpha\":\"8.5\"", "\"alpha\":\"9.5\""))),
                "checksum mismatch");
        assertMessage(
                rejected(rewriteHeader(l, j -> j.replace("\"rank\":\"4\"", "\"rank\":\"2\""))), "checksum mismatch");
        // A LoRA relabelled as SVF, and an adapter relabelled for another base model.
        assertMessage(
                rejected(rewriteHeader(l, j -> j.replace("\"kind\":\"lora\"", "\"kind\":\"svf\""))),
                "checksum mismatch");
        byte[] z = AdapterFile.toBytes(zVector(), META);
        assertMessage(rejected(rewriteHeader(z, j -> j.replace(BASE, OTHER)), OTHER), "checksum mismatch");
        assertMessage(
                rejected(rewriteHeader(z, j -> j.replace("\"preserve_sum\":\"true\"", "\"preserve_sum\":\"false\""))),
                "checksum mismatch");
        assertMessage(rejected(rewriteHeader(z, j -> j.replace("reverse", "forward"))), "checksum mismatch");
        // The checksum itself, and a shape that still fits the data (A as [4, in] instead of [in, 4]).
        assertMessage(
                rejected(rewriteHeader(z, j -> j.replaceFirst("(\"checksum\":\"sha256:)[0-9a-f]{4}", "$1zzzz"))),
                "checksum mismatch");
        assertMessage(
                rejected(rewriteHeader(l, j -> j.replace("\"shape\":[64,4]", "\"shape\":[4,64]"))),
                "checksum mismatch");
        assertMessage(
                rejected(rewriteHeader(l, j -> j.replace(",\"checksum\"", ",\"x\":\"y\",\"checksum\""))),
                "checksum mismatch");
    }

    @Test
    void truncatedBytesAreRejected() {
        byte[] good = AdapterFile.toBytes(lora(), META);
        int start = dataStart(good);
        for (int len : new int[] {0, 5, 8, 100, start - 1, start, start + 10, good.length - 1}) {
            assertMessage(rejected(Arrays.copyOf(good, len)), "truncated");
        }
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] good = AdapterFile.toBytes(zVector(), META);
        assertMessage(rejected(Arrays.copyOf(good, good.length + 4)), "4 bytes beyond the tensors");
    }

    @Test
    void garbageIsRejected() {
        byte[] junk = new byte[64];
        Arrays.fill(junk, (byte) 'x');
        assertMessage(rejected(junk), "header length");
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(16).put("not json at all!".getBytes(StandardCharsets.UTF_8));
        assertMessage(rejected(b.array()), "not valid JSON");
    }

    // ---------------------------------------------------------------- another model

    @Test
    void wrongBaseFingerprintNamesBoth() {
        MalformedAdapterException e = rejected(AdapterFile.toBytes(zVector(), META), OTHER);
        assertMessage(e, "base fingerprint " + BASE + " does not match the loaded model " + OTHER);
    }

    @Test
    void zOfTheWrongLengthIsNamed() {
        ZVector z = new ZVector(Map.of(new MatrixRef(1, TargetMatrix.GATE), random(10, 1)), false);
        assertMessage(rejected(AdapterFile.toBytes(z, META)), "z.1.gate has 10 values, the matrix has rank 64");
        ZVector k = new ZVector(Map.of(new MatrixRef(0, TargetMatrix.K), random(64, 1)), false);
        assertMessage(rejected(AdapterFile.toBytes(k, META)), "z.0.k has 64 values, the matrix has rank 32");
        byte[] twoD = crafted(z, m -> {}, t -> t.put("z.1.gate", f32(random(64, 2), 8, 8)));
        assertMessage(rejected(twoD), "z.1.gate has shape [8, 8], expected [64]");
    }

    @Test
    void loraOfAnotherModelIsNamed() {
        // Trained for a model with hidden size 32: gate is 32 -> 160.
        LoraAdapter other = new LoraAdapter(4, 8f, Map.of(new MatrixRef(0, TargetMatrix.GATE), factors(32, 160, 4, 1)));
        assertMessage(
                rejected(AdapterFile.toBytes(other, META)),
                "lora.0.gate.A has shape [32, 4], expected [in, rank] = [64, 4]");
        LoraAdapter wideHead = new LoraAdapter(2, 8f, Map.of(MatrixRef.head(), factors(64, 1000, 2, 1)));
        assertMessage(
                rejected(AdapterFile.toBytes(wideHead, META)),
                "lora.head.B has shape [2, 1000], expected [rank, out] = [2, 259]");
    }

    @Test
    void layerBeyondTheModelIsNamed() {
        ZVector z = new ZVector(Map.of(new MatrixRef(3, TargetMatrix.UP), random(64, 1)), false);
        assertMessage(rejected(AdapterFile.toBytes(z, META)), "z.3.up: layer 3 is beyond the model's 3 layers (0..2)");
        LoraAdapter l = new LoraAdapter(4, 8f, Map.of(new MatrixRef(40, TargetMatrix.Q), factors(64, 64, 4, 1)));
        assertMessage(rejected(AdapterFile.toBytes(l, META)), "lora.40.q.A: layer 40 is beyond the model's 3 layers");
    }

    // ---------------------------------------------------------------- names and pairs

    @Test
    void unknownTensorNamesAreNamed() {
        ZVector z = zVector();
        for (String name : List.of("bias.0.gate", "z.0.foo", "z.03.gate", "z.-1.gate", "z.gate", "lora.0.q.A")) {
            byte[] bad = crafted(z, m -> {}, t -> t.put(name, f32(random(64, 5), 64)));
            assertMessage(rejected(bad), "unknown tensor name '" + name + "' in a svf adapter");
        }
        LoraAdapter l = lora();
        // lora.A and lora.B: found by AdapterFileFuzzTest (they threw StringIndexOutOfBoundsException).
        for (String name :
                List.of("z.0.gate", "lora.0.q.C", "lora.0.q", "lora.0.qq.A", "lora.A", "lora.B", "lora..A")) {
            byte[] bad = crafted(l, m -> {}, t -> t.put(name, f32(random(64, 5), 64)));
            assertMessage(rejected(bad), "unknown tensor name '" + name + "' in a lora adapter");
        }
    }

    @Test
    void missingPairIsNamed() {
        byte[] noB = crafted(lora(), m -> {}, t -> t.remove("lora.1.down.B"));
        assertMessage(rejected(noB), "lora.1.down.A has no matching lora.1.down.B");
        byte[] noA = crafted(lora(), m -> {}, t -> t.remove("lora.head.A"));
        assertMessage(rejected(noA), "lora.head.B has no matching lora.head.A");
    }

    @Test
    void inconsistentMetadataIsNamed() {
        assertMessage(
                rejected(crafted(zVector(), m -> m.put("targets", "0.gate"), t -> {})),
                "targets metadata '0.gate' does not match the tensors (head,0.gate,1.k,2.down)");
        assertMessage(rejected(crafted(zVector(), m -> m.remove("created"), t -> {})), "missing metadata 'created'");
        assertMessage(rejected(crafted(zVector(), m -> m.put("kind", "dora"), t -> {})), "unknown adapter kind 'dora'");
        assertMessage(
                rejected(crafted(zVector(), m -> m.put("format_version", "2"), t -> {})),
                "unsupported format_version '2'");
        assertMessage(
                rejected(crafted(zVector(), m -> m.put("preserve_sum", "yes"), t -> {})),
                "preserve_sum 'yes' is not true or false");
        assertMessage(
                rejected(crafted(lora(), m -> m.put("alpha", "-1"), t -> {})), "alpha -1 is not a positive number");
        assertMessage(rejected(crafted(lora(), m -> m.put("rank", "four"), t -> {})), "rank 'four' is not an integer");
        assertMessage(
                rejected(crafted(zVector(), m -> m.put("created", "yesterday"), t -> {})),
                "created 'yesterday' is not an ISO-8601 instant");
    }

    @Test
    void nonF32AndNonFiniteValuesAreRejected() {
        byte[] f16 = crafted(
                zVector(),
                m -> {},
                t -> t.put("z.0.gate", new AdapterFile.RawTensor(TensorDType.F16, new long[] {64}, new byte[128])));
        assertMessage(rejected(f16), "z.0.gate is F16, adapter tensors are F32");
        float[] nan = random(64, 1);
        nan[3] = Float.NaN;
        byte[] bad = crafted(zVector(), m -> {}, t -> t.put("z.0.gate", f32(nan, 64)));
        assertMessage(rejected(bad), "z.0.gate holds a non-finite value");
    }

    @Test
    void readNamesTheFile() throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        byte[] good = AdapterFile.toBytes(zVector(), META);
        Files.write(file, Arrays.copyOf(good, good.length - 1));
        MalformedAdapterException e =
                assertThrows(MalformedAdapterException.class, () -> AdapterFile.read(file, BASE, CFG));
        assertMessage(e, file.toString(), "truncated");
        assertThrows(IOException.class, () -> AdapterFile.read(tmp.resolve("missing"), BASE, CFG));
    }
}
