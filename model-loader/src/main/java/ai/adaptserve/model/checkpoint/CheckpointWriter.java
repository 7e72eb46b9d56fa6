package ai.adaptserve.model.checkpoint;

import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.tokenizer.ByteLevelTokenizerJson;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a checkpoint directory in exactly the format the loader reads: {@code config.json}, the weights as
 * one safetensors file or as shards with {@code model.safetensors.index.json}, and a byte-level
 * {@code tokenizer.json}. Tests and tools make their models with it.
 */
public final class CheckpointWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CheckpointWriter() {}

    /** A tensor to write: HF name, values in row-major order, shape. */
    public record Tensor(String name, float[] values, long[] shape) {}

    /**
     * Writes {@code tensors} as {@code dtype}; with {@code maxShardBytes > 0} they are split across
     * {@code model-0000i-of-0000n.safetensors} files.
     */
    public static void write(Path dir, ModelConfig config, List<Tensor> tensors, TensorDType dtype, long maxShardBytes)
            throws IOException {
        Files.createDirectories(dir);
        ObjectNode cfg = config.toJson();
        cfg.put("torch_dtype", torchName(dtype));
        JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), ByteLevelTokenizerJson.build());

        List<List<Tensor>> shards = new ArrayList<>();
        List<Tensor> current = new ArrayList<>();
        long bytes = 0;
        for (Tensor t : tensors) {
            long size = (long) t.values().length * dtype.byteSize();
            if (maxShardBytes > 0 && !current.isEmpty() && bytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(t);
            bytes += size;
        }
        shards.add(current);
        if (shards.size() == 1) {
            writeShard(dir.resolve("model.safetensors"), shards.get(0), dtype);
            return;
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata")
                .put(
                        "total_size",
                        tensors.stream()
                                .mapToLong(t -> (long) t.values().length * dtype.byteSize())
                                .sum());
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            writeShard(dir.resolve(file), shards.get(i), dtype);
            for (Tensor t : shards.get(i)) {
                map.put(t.name(), file);
            }
        }
        JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
    }

    private static void writeShard(Path file, List<Tensor> tensors, TensorDType dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (Tensor t : tensors) {
            w.add(t.name(), dtype, t.values(), t.shape());
        }
        w.write(file);
    }

    private static String torchName(TensorDType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("weights must be F32, F16 or BF16, not " + dtype);
        };
    }
}
