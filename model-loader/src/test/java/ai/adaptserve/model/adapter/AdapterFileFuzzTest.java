package ai.adaptserve.model.adapter;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.adaptserve.model.checkpoint.TensorDType;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Untrusted adapter bytes (a cache entry, a file): the reader returns a verified adapter or throws
 * {@link MalformedAdapterException}; any other exception fails. Regression inputs:
 * {@code src/test/resources/ai/adaptserve/model/adapter/AdapterFileFuzzTestInputs/}.
 */
class AdapterFileFuzzTest {

    /** Raw bytes: mostly stopped by the safetensors framing or the checksum. */
    @FuzzTest(maxDuration = "5m")
    void rawBytes(byte[] bytes) {
        read(bytes);
    }

    /**
     * A valid adapter whose metadata, tensor names and shapes the fuzzer edits, written with a correct checksum: what
     * a writer to the cache who knows the format could plant. Reaches the checks behind the checksum.
     */
    @FuzzTest(maxDuration = "5m")
    void checksummedEdits(FuzzedDataProvider data) {
        Adapter adapter = data.consumeBoolean() ? AdapterFileTest.lora() : AdapterFileTest.zVector();
        Map<String, String> meta = AdapterFile.metadataFor(adapter, AdapterFileTest.META);
        Map<String, AdapterFile.RawTensor> tensors = new TreeMap<>(AdapterFile.tensorsFor(adapter));
        List<String> keys = new ArrayList<>(meta.keySet());
        int edits = data.consumeInt(0, 6);
        for (int i = 0; i < edits && data.remainingBytes() > 0; i++) {
            switch (data.consumeInt(0, 4)) {
                case 0 -> meta.put(data.pickValue(keys), data.consumeString(64));
                case 1 -> meta.remove(data.pickValue(keys));
                case 2 -> meta.put(data.consumeString(16), data.consumeString(16));
                case 3 -> {
                    // Rename: a fuzzed name, or the old one with a piece cut out (lora.0.q.A -> lora.A).
                    String name = data.pickValue(new ArrayList<>(tensors.keySet()));
                    String renamed;
                    if (data.consumeBoolean()) {
                        renamed = data.consumeString(32);
                    } else {
                        int from = data.consumeInt(0, name.length());
                        int to = data.consumeInt(from, name.length());
                        renamed = name.substring(0, from) + name.substring(to);
                    }
                    tensors.put(renamed, tensors.remove(name));
                }
                default -> {
                    String name = data.pickValue(new ArrayList<>(tensors.keySet()));
                    AdapterFile.RawTensor t = tensors.get(name);
                    long[] shape = new long[data.consumeInt(0, 3)];
                    for (int d = 0; d < shape.length; d++) {
                        shape[d] = data.consumeLong(-2, 1L << 33);
                    }
                    tensors.put(name, new AdapterFile.RawTensor(TensorDType.F32, shape, t.bytes()));
                }
            }
            if (tensors.isEmpty()) {
                break;
            }
        }
        byte[] bytes;
        try {
            bytes = AdapterFile.assemble(meta, tensors).toBytes();
        } catch (IllegalArgumentException e) {
            return; // the writer refuses what it cannot write (say, a shape that disagrees with the bytes)
        }
        read(bytes);
    }

    private static void read(byte[] bytes) {
        try {
            assertNotNull(AdapterFile.fromBytes(bytes, AdapterFileTest.BASE, AdapterFileTest.CFG)
                    .adapter());
        } catch (MalformedAdapterException e) {
            assertNotNull(e.getMessage());
        }
    }
}
