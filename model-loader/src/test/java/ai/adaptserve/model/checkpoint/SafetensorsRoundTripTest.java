package ai.adaptserve.model.checkpoint;

import static ai.adaptserve.model.checkpoint.CheckpointTestFiles.assertMalformed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private static final float PI = 3.14159265f;

    /** Expected values written independently of the implementation (hand-computed bit patterns). */
    private static final float[] BF16_IN = {
        1.0f,
        -2.5f,
        0.0f,
        -0.0f,
        PI, // 0x40490FDB -> 0x4049
        -PI,
        1.00390625f, // 1 + 2^-8: tie between 1.0 (even) and 1 + 2^-7 -> 1.0
        1.01171875f, // 1 + 3 * 2^-8: tie between 1 + 2^-7 (odd) and 1 + 2^-6 (even) -> 1 + 2^-6
        Float.MAX_VALUE, // 0x7F7FFFFF rounds up to +inf
        Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        1e-40f, // subnormal 0x000116C2 -> 0x0001
        Float.MIN_NORMAL, // exact
        -1e-38f, // 0x806CE3EE -> 0x806D (rounds up: low half 0xE3EE > 0x8000)
    };

    private static final float[] BF16_EXPECTED = {
        1.0f,
        -2.5f,
        0.0f,
        -0.0f,
        3.140625f,
        -3.140625f,
        1.0f,
        1.015625f,
        Float.POSITIVE_INFINITY,
        Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        Float.intBitsToFloat(0x00010000),
        Float.MIN_NORMAL,
        Float.intBitsToFloat(0x806D0000),
    };

    private static final float[] F16_IN = {
        1.0f,
        -2.5f,
        0.0f,
        -0.0f,
        PI, // mantissa 0.5708 * 1024 = 584.5 - -> 584 -> 3.140625
        65504f, // largest finite half
        65520f, // tie between 65504 (odd) and 65536 (= inf) -> inf
        1.00048828125f, // 1 + 2^-11: tie -> 1.0
        1.00146484375f, // 1 + 3 * 2^-11: tie -> 1 + 2^-9
        1e-7f, // 1.68 * 2^-24 -> subnormal 2 * 2^-24
        -1e-7f,
        1e-8f, // 0.17 * 2^-24 -> 0
        Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        -1e6f, // overflow -> -inf
    };

    private static final float[] F16_EXPECTED = {
        1.0f,
        -2.5f,
        0.0f,
        -0.0f,
        3.140625f,
        65504f,
        Float.POSITIVE_INFINITY,
        1.0f,
        1.001953125f,
        0x1p-23f,
        -0x1p-23f,
        0.0f,
        Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
    };

    private static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(
                    Float.floatToRawIntBits(expected[i]),
                    Float.floatToRawIntBits(actual[i]),
                    "element " + i + ": expected " + expected[i] + " but was " + actual[i]);
        }
    }

    @Test
    void roundTrip_f32_f16_bf16_valuesRoundedToNearestEven() throws Exception {
        float[] f32 = {1.0f, -2.5f, 0.0f, -0.0f, PI, Float.MAX_VALUE, 1e-45f, Float.NEGATIVE_INFINITY, 1.00390625f};
        Path file = dir.resolve("rt.safetensors");
        new SafetensorsWriter()
                .add("a.f32", TensorDType.F32, f32, 3, 3)
                .add("b.f16", TensorDType.F16, F16_IN, F16_IN.length)
                .add("c.bf16", TensorDType.BF16, BF16_IN, 2, BF16_IN.length / 2)
                .write(file);

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(
                    List.of("a.f32", "b.f16", "c.bf16"), List.copyOf(f.tensors().keySet()));
            assertBitsEqual(f32, f.readFloats("a.f32"));
            assertBitsEqual(F16_EXPECTED, f.readFloats("b.f16"));
            assertBitsEqual(BF16_EXPECTED, f.readFloats("c.bf16"));

            TensorInfo c = f.info("c.bf16").orElseThrow();
            assertEquals(TensorDType.BF16, c.dtype());
            assertArrayEquals(new long[] {2, BF16_IN.length / 2}, c.shape());
            assertEquals(BF16_IN.length * 2L, c.byteLength());
            assertEquals(f.info("b.f16").orElseThrow().end(), c.begin());
            assertTrue(f.metadata().isEmpty());
        }
    }

    @Test
    void write_bf16_exactBytesOnDisk() throws Exception {
        byte[] bytes = new SafetensorsWriter()
                .add("x", TensorDType.BF16, new float[] {1.0f, -2.0f}, 2)
                .toBytes();
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLen % 8, "header padded to a multiple of 8");
        assertEquals(8 + headerLen + 4, bytes.length);
        int d = (int) (8 + headerLen);
        // 1.0 = 0x3F80, -2.0 = 0xC000, little-endian
        assertArrayEquals(
                new byte[] {(byte) 0x80, 0x3F, 0x00, (byte) 0xC0}, java.util.Arrays.copyOfRange(bytes, d, d + 4));
        String header = new String(bytes, 8, (int) headerLen, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}"), header);
    }

    @Test
    void roundTrip_nanStaysNan() throws Exception {
        Path file = dir.resolve("nan.safetensors");
        new SafetensorsWriter()
                .add("h", TensorDType.F16, new float[] {Float.NaN}, 1)
                .add("b", TensorDType.BF16, new float[] {Float.NaN, -Float.NaN}, 2)
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertTrue(Float.isNaN(f.readFloats("h")[0]));
            float[] b = f.readFloats("b");
            assertTrue(Float.isNaN(b[0]) && Float.isNaN(b[1]));
        }
    }

    @Test
    void roundTrip_metadata() throws Exception {
        Path file = dir.resolve("meta.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("note", "quotes \" and unicode \u00e9\u4e2d")
                .add("w", TensorDType.F32, new float[] {1, 2}, 2)
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt", "note", "quotes \" and unicode \u00e9\u4e2d"), f.metadata());
            assertEquals(List.of("w"), List.copyOf(f.tensors().keySet()));
        }
    }

    @Test
    void roundTrip_rawIntegerTypes_f64_scalar_andEmptyTensor() throws Exception {
        ByteBuffer i32 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        i32.putInt(-7).putInt(0).putInt(123456);
        ByteBuffer i64 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-(1L << 40));
        Path file = dir.resolve("ints.safetensors");
        new SafetensorsWriter()
                .addRaw("i32", TensorDType.I32, i32.array(), 3)
                .addRaw("i64", TensorDType.I64, i64.array(), 1)
                .addRaw("u8", TensorDType.U8, new byte[] {(byte) 255, 1}, 2)
                .addRaw("i8", TensorDType.I8, new byte[] {(byte) 255, 1}, 2)
                .addRaw("bool", TensorDType.BOOL, new byte[] {0, 1, 5}, 3)
                .add("f64", TensorDType.F64, new float[] {0.1f, -3f}, 2)
                .add("scalar", TensorDType.F32, new float[] {42f})
                .add("empty", TensorDType.F32, new float[0], 0, 4)
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {-7, 0, 123456}, f.readFloats("i32"));
            assertArrayEquals(new float[] {-(1L << 40)}, f.readFloats("i64"));
            assertArrayEquals(new float[] {255, 1}, f.readFloats("u8"));
            assertArrayEquals(new float[] {-1, 1}, f.readFloats("i8"));
            assertArrayEquals(new float[] {0, 1, 1}, f.readFloats("bool"));
            assertArrayEquals(new float[] {0.1f, -3f}, f.readFloats("f64"));
            assertArrayEquals(new float[] {42f}, f.readFloats("scalar"));
            assertArrayEquals(new long[0], f.info("scalar").orElseThrow().shape());
            assertArrayEquals(new float[0], f.readFloats("empty"));
            assertArrayEquals(new long[] {0, 4}, f.info("empty").orElseThrow().shape());

            ByteBuffer raw = f.readRaw("i32");
            assertEquals(ByteOrder.LITTLE_ENDIAN, raw.order());
            assertEquals(0, raw.position());
            assertEquals(12, raw.remaining());
            assertEquals(123456, raw.getInt(8));
            assertTrue(raw.isReadOnly());
            assertThrows(ReadOnlyBufferException.class, () -> raw.put(0, (byte) 1));
        }
    }

    @Test
    void readFloats_unknownName_namesFileAndTensor() throws Exception {
        Path file = dir.resolve("one.safetensors");
        new SafetensorsWriter().add("w", TensorDType.F32, new float[] {1}, 1).write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertMalformed(file, "nope", "no such tensor", () -> f.readFloats("nope"));
            assertMalformed(file, "nope", "no such tensor", () -> f.readRaw("nope"));
            assertTrue(f.info("nope").isEmpty());
        }
    }

    @Test
    void readAfterClose_throwsIllegalState() throws Exception {
        Path file = dir.resolve("closed.safetensors");
        new SafetensorsWriter().add("w", TensorDType.F32, new float[] {1}, 1).write(file);
        SafetensorsFile f = SafetensorsFile.open(file);
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> f.readFloats("w"));
    }

    @Test
    void open_dataMappedPerTensor_whenAboveSingleMapLimit() throws Exception {
        Path file = dir.resolve("big.safetensors");
        new SafetensorsWriter()
                .add("a", TensorDType.F32, new float[] {1, 2, 3}, 3)
                .add("b", TensorDType.BF16, new float[] {-1, 0.5f}, 2)
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file, 0)) {
            assertArrayEquals(new float[] {1, 2, 3}, f.readFloats("a"));
            assertArrayEquals(new float[] {-1, 0.5f}, f.readFloats("b"));
            assertEquals(ByteOrder.LITTLE_ENDIAN, f.readRaw("b").order());
        }
    }

    @Test
    void write_isAtomic_replacesExisting_andLeavesNoTempFiles() throws Exception {
        Path file = dir.resolve("sub/model.safetensors");
        new SafetensorsWriter().add("w", TensorDType.F32, new float[] {1}, 1).write(file);
        new SafetensorsWriter().add("v", TensorDType.F32, new float[] {2, 3}, 2).write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("v"), List.copyOf(f.tensors().keySet()));
        }
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(List.of(file), s.toList());
        }
        assertArrayEquals(
                new SafetensorsWriter()
                        .add("v", TensorDType.F32, new float[] {2, 3}, 2)
                        .toBytes(),
                Files.readAllBytes(file));
    }

    @Test
    void writer_rejectsDuplicatesAndMisShapedData() {
        SafetensorsWriter w = new SafetensorsWriter().add("w", TensorDType.F32, new float[] {1, 2}, 2);
        IllegalArgumentException dup =
                assertThrows(IllegalArgumentException.class, () -> w.add("w", TensorDType.F32, new float[] {1}, 1));
        assertTrue(dup.getMessage().contains("'w'"), dup.getMessage());
        IllegalArgumentException shape = assertThrows(
                IllegalArgumentException.class, () -> w.add("x", TensorDType.F32, new float[] {1, 2, 3}, 2, 2));
        assertTrue(shape.getMessage().contains("'x'"), shape.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.add("y", TensorDType.F32, new float[] {1}, -1));
        assertThrows(IllegalArgumentException.class, () -> w.addRaw("z", TensorDType.F16, new byte[3], 2));
        assertThrows(IllegalArgumentException.class, () -> w.add("i", TensorDType.I32, new float[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", TensorDType.F32, new float[0], 0));
    }

    @Test
    void open_missingFile_namesFile() throws IOException {
        Path file = dir.resolve("absent.safetensors");
        assertMalformed(file, null, "does not exist", () -> SafetensorsFile.open(file));
        assertFalse(Files.exists(file));
    }
}
