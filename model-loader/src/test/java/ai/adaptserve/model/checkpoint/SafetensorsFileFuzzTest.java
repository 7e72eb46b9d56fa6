package ai.adaptserve.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Untrusted safetensors bytes: whatever they hold, the reader either returns a file whose every tensor can be read,
 * or throws {@link MalformedCheckpointException} naming the file. Any other exception fails the fuzz test. Regression
 * inputs: {@code src/test/resources/ai/adaptserve/model/checkpoint/SafetensorsFileFuzzTestInputs/}.
 */
class SafetensorsFileFuzzTest {

    private static final Path NAME = Path.of("fuzzed.safetensors");

    /** Raw bytes, as a file on disk or a cache entry could hold them. */
    @FuzzTest(maxDuration = "5m")
    void rawBytes(byte[] bytes) {
        readAll(bytes);
    }

    /**
     * A well-framed file (the length prefix is right) whose JSON header and data are fuzzed: reaches the header checks
     * that raw bytes rarely get past.
     */
    @FuzzTest(maxDuration = "5m")
    void fuzzedHeader(FuzzedDataProvider data) {
        byte[] json = data.consumeString(4096).getBytes(StandardCharsets.UTF_8);
        byte[] rest = data.consumeRemainingAsBytes();
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put(rest);
        readAll(b.array());
    }

    private static void readAll(byte[] bytes) {
        try (SafetensorsFile f = SafetensorsFile.fromBytes(bytes, NAME)) {
            for (TensorInfo t : f.tensors().values()) {
                ByteBuffer raw = f.readRaw(t.name());
                assertTrue(raw.remaining() == t.end() - t.begin(), t.name());
                assertTrue(f.readFloats(t.name()).length == t.elementCount(), t.name());
            }
        } catch (MalformedCheckpointException e) {
            assertTrue(e.getMessage().contains(NAME.toString()), e.getMessage());
        }
    }
}
