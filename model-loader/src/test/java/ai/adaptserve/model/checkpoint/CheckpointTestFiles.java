package ai.adaptserve.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.function.Executable;

/** Test helpers: hand-built (possibly hostile) safetensors files and message assertions. */
final class CheckpointTestFiles {
    private CheckpointTestFiles() {}

    /** Writes {@code 8-byte LE length of json + json + data}. */
    static Path raw(Path file, String json, byte[] data) throws IOException {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return rawWithLength(file, j.length, concat(j, data));
    }

    /** Writes {@code headerLength as 8-byte LE + rest}, the length field not necessarily matching. */
    static Path rawWithLength(Path file, long headerLength, byte[] rest) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(rest);
        Files.write(file, b.array());
        return file;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Little-endian F32 bytes. */
    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /**
     * Asserts that {@code call} throws a MalformedCheckpointException for {@code file} (named in the message) and, if
     * {@code tensor} is not null, for that tensor (named in the message); the message also contains {@code fragment}.
     */
    static MalformedCheckpointException assertMalformed(Path file, String tensor, String fragment, Executable call) {
        MalformedCheckpointException e = assertThrows(MalformedCheckpointException.class, call);
        String msg = e.getMessage();
        assertTrue(msg.contains(file.toString()), () -> "message should name file " + file + ": " + msg);
        assertEquals(file, e.file(), msg);
        if (tensor != null) {
            assertTrue(msg.contains("'" + tensor + "'"), () -> "message should name tensor " + tensor + ": " + msg);
            assertEquals(Optional.of(tensor), e.tensor(), msg);
        }
        assertTrue(
                msg.toLowerCase().contains(fragment.toLowerCase()),
                () -> "message should contain '" + fragment + "': " + msg);
        return e;
    }
}
