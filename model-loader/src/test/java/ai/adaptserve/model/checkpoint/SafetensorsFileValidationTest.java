package ai.adaptserve.model.checkpoint;

import static ai.adaptserve.model.checkpoint.CheckpointTestFiles.assertMalformed;
import static ai.adaptserve.model.checkpoint.CheckpointTestFiles.f32;
import static ai.adaptserve.model.checkpoint.CheckpointTestFiles.raw;
import static ai.adaptserve.model.checkpoint.CheckpointTestFiles.rawWithLength;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile, hand-written files: every failure names the file (and the tensor). */
class SafetensorsFileValidationTest {

    @TempDir
    Path dir;

    private Path file(String name) {
        return dir.resolve(name + ".safetensors");
    }

    private static String entry(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets
                + "}";
    }

    @Test
    void open_handWrittenGoodFile_withGapAndPaddingAccepted() throws Exception {
        // 4-byte gap between the tensors, trailing spaces in the header: allowed.
        String json = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("a", "F32", "[1]", "[0,4]") + ","
                + entry("b", "F32", "[2]", "[8,16]") + "}   ";
        Path f = raw(file("good"), json, f32(1f, 99f, 2f, 3f));
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(Map.of("format", "pt"), s.metadata());
            assertArrayEquals(new float[] {1f}, s.readFloats("a"));
            assertArrayEquals(new float[] {2f, 3f}, s.readFloats("b"));
        }
    }

    @Test
    void open_truncatedFile_namesFileAndTensor() throws Exception {
        Path f = file("truncated");
        new SafetensorsWriter()
                .add("first", TensorDType.F32, new float[] {1, 2}, 2)
                .add("last", TensorDType.F32, new float[] {3, 4}, 2)
                .write(f);
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 3));
        assertMalformed(f, "last", "beyond the data section", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_fileShorterThan8Bytes_namesFile() throws Exception {
        Path f = file("tiny");
        Files.write(f, new byte[] {1, 0, 0});
        assertMalformed(f, null, "shorter than the 8-byte", () -> SafetensorsFile.open(f));
        Files.write(f, new byte[0]);
        assertMalformed(f, null, "shorter than the 8-byte", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_negativeHeaderLength_namesFile() throws Exception {
        Path f = rawWithLength(file("negative"), -1L, "{}".getBytes(StandardCharsets.UTF_8));
        assertMalformed(f, null, "18446744073709551615", () -> SafetensorsFile.open(f));
        Path g = rawWithLength(file("negative2"), Long.MIN_VALUE, new byte[16]);
        assertMalformed(g, null, "out of range", () -> SafetensorsFile.open(g));
    }

    @Test
    void open_zeroHeaderLength_namesFile() throws Exception {
        Path f = rawWithLength(file("zero"), 0, new byte[8]);
        assertMalformed(f, null, "header length is zero", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_oversizedHeaderLength_namesFile() throws Exception {
        Path f = rawWithLength(file("oversized"), 200_000_000L, "{}".getBytes(StandardCharsets.UTF_8));
        assertMalformed(f, null, "exceeds the limit", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_headerLengthLargerThanFile_namesFile() throws Exception {
        Path f = rawWithLength(file("longer"), 1000, "{}".getBytes(StandardCharsets.UTF_8));
        assertMalformed(f, null, "header length 1000 exceeds the 2 bytes", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_badJson_namesFile() throws Exception {
        Path f = raw(file("badjson"), "{\"w\":{\"dtype\":\"F32\",", new byte[0]);
        assertMalformed(f, null, "not valid JSON", () -> SafetensorsFile.open(f));
        Path g = raw(file("trailing"), "{} {}", new byte[0]);
        assertMalformed(g, null, "not valid JSON", () -> SafetensorsFile.open(g));
        Path h = raw(file("blank"), "        ", new byte[0]);
        assertMalformed(h, null, "not a JSON object", () -> SafetensorsFile.open(h));
    }

    @Test
    void open_headerNotAnObject_namesFile() throws Exception {
        Path f = raw(file("array"), "[1,2,3]", new byte[0]);
        assertMalformed(f, null, "not a JSON object", () -> SafetensorsFile.open(f));
        Path g = raw(file("entryarray"), "{\"w\":[1]}", new byte[0]);
        assertMalformed(g, "w", "not a JSON object", () -> SafetensorsFile.open(g));
    }

    @Test
    void open_overlappingRanges_namesFileAndTensors() throws Exception {
        String json = "{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[4,12]") + "}";
        Path f = raw(file("overlap"), json, new byte[12]);
        var e = assertMalformed(f, "b", "overlaps", () -> SafetensorsFile.open(f));
        assertEquals(true, e.getMessage().contains("'a'"), e.getMessage());

        // Header order must not matter: the later-listed tensor comes first in the data.
        String json2 = "{" + entry("late", "F32", "[2]", "[8,16]") + "," + entry("early", "F32", "[3]", "[0,12]") + "}";
        Path g = raw(file("overlap2"), json2, new byte[16]);
        assertMalformed(g, "late", "overlaps tensor 'early'", () -> SafetensorsFile.open(g));

        // Identical ranges.
        String json3 = "{" + entry("x", "F32", "[1]", "[0,4]") + "," + entry("y", "F32", "[1]", "[0,4]") + "}";
        Path h = raw(file("overlap3"), json3, new byte[4]);
        assertMalformed(h, "y", "overlaps", () -> SafetensorsFile.open(h));
    }

    @Test
    void open_misShapedTensor_namesFileAndTensor() throws Exception {
        Path f = raw(file("misshaped"), "{" + entry("w", "F32", "[3]", "[0,8]") + "}", new byte[8]);
        assertMalformed(f, "w", "needs 12 bytes", () -> SafetensorsFile.open(f));
        Path g = raw(file("misshaped16"), "{" + entry("h", "BF16", "[2,2]", "[0,16]") + "}", new byte[16]);
        assertMalformed(g, "h", "needs 8 bytes", () -> SafetensorsFile.open(g));
    }

    @Test
    void open_unknownDtype_namesFileAndTensor() throws Exception {
        Path f = raw(file("dtype"), "{" + entry("q", "F8_E5M2", "[4]", "[0,4]") + "}", new byte[4]);
        assertMalformed(f, "q", "dtype 'F8_E5M2'", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_duplicateNames_namesFileAndTensor() throws Exception {
        String json = "{" + entry("dup", "F32", "[1]", "[0,4]") + "," + entry("other", "F32", "[1]", "[4,8]") + ","
                + entry("dup", "F32", "[1]", "[8,12]") + "}";
        Path f = raw(file("dup"), json, new byte[12]);
        assertMalformed(f, "dup", "duplicate tensor name", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_duplicateKeyInsideEntry_namesFile() throws Exception {
        String json = "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path f = raw(file("dupkey"), json, new byte[4]);
        assertMalformed(f, null, "dtype", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_offsetsBeyondFile_namesFileAndTensor() throws Exception {
        Path f = raw(file("beyond"), "{" + entry("w", "F32", "[4]", "[8,24]") + "}", new byte[16]);
        assertMalformed(f, "w", "end 24 is beyond the data section of 16 bytes", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_badOffsets_namesFileAndTensor() throws Exception {
        Path neg = raw(file("negoff"), "{" + entry("w", "F32", "[1]", "[-4,0]") + "}", new byte[4]);
        assertMalformed(neg, "w", "negative 'data_offsets'", () -> SafetensorsFile.open(neg));
        Path rev = raw(file("reversed"), "{" + entry("w", "F32", "[0]", "[8,4]") + "}", new byte[8]);
        assertMalformed(rev, "w", "begin 8 is after end 4", () -> SafetensorsFile.open(rev));
        Path three = raw(file("three"), "{" + entry("w", "F32", "[1]", "[0,4,8]") + "}", new byte[8]);
        assertMalformed(three, "w", "expected 2", () -> SafetensorsFile.open(three));
        Path huge = raw(file("huge"), "{" + entry("w", "F32", "[1]", "[0,99999999999999999999]") + "}", new byte[4]);
        assertMalformed(huge, "w", "not a 64-bit integer", () -> SafetensorsFile.open(huge));
    }

    @Test
    void open_negativeDimension_namesFileAndTensor() throws Exception {
        Path f = raw(file("negdim"), "{" + entry("w", "F32", "[-1,-4]", "[0,16]") + "}", new byte[16]);
        assertMalformed(f, "w", "negative dimension", () -> SafetensorsFile.open(f));
    }

    @Test
    void open_elementCountOverflow_namesFileAndTensor() throws Exception {
        String shape = "[4294967296,4294967296]"; // 2^64 elements
        Path f = raw(file("overflow"), "{" + entry("w", "F32", shape, "[0,0]") + "}", new byte[0]);
        assertMalformed(f, "w", "overflows", () -> SafetensorsFile.open(f));
        // Element count fits in a long, but times 4 bytes does not.
        Path g = raw(file("overflow2"), "{" + entry("w", "F32", "[4611686018427387904]", "[0,0]") + "}", new byte[0]);
        assertMalformed(g, "w", "overflows", () -> SafetensorsFile.open(g));
    }

    @Test
    void open_missingOrMistypedFields_namesFileAndTensor() throws Exception {
        Path noDtype = raw(file("nodtype"), "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertMalformed(noDtype, "w", "missing 'dtype'", () -> SafetensorsFile.open(noDtype));
        Path noShape = raw(file("noshape"), "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]);
        assertMalformed(noShape, "w", "missing 'shape'", () -> SafetensorsFile.open(noShape));
        Path noOffsets = raw(file("nooffsets"), "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]);
        assertMalformed(noOffsets, "w", "missing 'data_offsets'", () -> SafetensorsFile.open(noOffsets));
        Path dtypeNum =
                raw(file("dtypenum"), "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertMalformed(dtypeNum, "w", "'dtype' is not a string", () -> SafetensorsFile.open(dtypeNum));
        Path shapeStr = raw(file("shapestr"), "{" + entry("w", "F32", "\"[1]\"", "[0,4]") + "}", new byte[4]);
        assertMalformed(shapeStr, "w", "'shape' is not a JSON array", () -> SafetensorsFile.open(shapeStr));
        Path dimStr = raw(file("dimstr"), "{" + entry("w", "F32", "[\"1\"]", "[0,4]") + "}", new byte[4]);
        assertMalformed(dimStr, "w", "'shape'[0] is not a 64-bit integer", () -> SafetensorsFile.open(dimStr));
        Path dimFloat = raw(file("dimfloat"), "{" + entry("w", "F32", "[1.0]", "[0,4]") + "}", new byte[4]);
        assertMalformed(dimFloat, "w", "not a 64-bit integer", () -> SafetensorsFile.open(dimFloat));
        Path offNull = raw(file("offnull"), "{" + entry("w", "F32", "[1]", "null") + "}", new byte[4]);
        assertMalformed(offNull, "w", "'data_offsets' is not a JSON array", () -> SafetensorsFile.open(offNull));
    }

    @Test
    void open_metadataNotStrings_namesFile() throws Exception {
        Path f = raw(file("metanum"), "{\"__metadata__\":{\"format\":\"pt\",\"step\":3}}", new byte[0]);
        assertMalformed(f, null, "key 'step' is not a string", () -> SafetensorsFile.open(f));
        Path g = raw(file("metaarr"), "{\"__metadata__\":[\"pt\"]}", new byte[0]);
        assertMalformed(g, null, "__metadata__ is not a JSON object", () -> SafetensorsFile.open(g));
    }
}
