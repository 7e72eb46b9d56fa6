package ai.adaptserve.model;

import ai.adaptserve.model.checkpoint.CheckpointWriter;
import ai.adaptserve.model.checkpoint.RandomWeights;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The embedded default model. Until the project's trained model exists, it is a small seeded random Llama
 * (byte-level tokenizer, ~1 MB) made by the project's own checkpoint writer: it serves real forward passes but
 * its text is noise.
 */
public final class BuiltinModel {
    /** The built-in architecture: 4 layers, hidden 128, 4 heads over 2 KV heads, byte vocabulary. */
    public static final ModelConfig CONFIG = new ModelConfig(
            "LlamaForCausalLM",
            ByteTokenizer.VOCAB,
            128,
            384,
            4,
            4,
            2,
            32,
            1e-5,
            10000.0,
            Optional.empty(),
            false,
            false,
            1024,
            Optional.of(ByteTokenizer.BOS),
            List.of(ByteTokenizer.EOS),
            "float32");

    static final long SEED = 20261122L;
    static final String NAME = "adaptserve-builtin-random-v1";

    private BuiltinModel() {}

    /** Writes the built-in checkpoint under {@code cacheDir} unless it is already there; returns its directory. */
    public static Path materialize(Path cacheDir) {
        Path dir = cacheDir.resolve(NAME);
        if (Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("config.json"))) {
            return dir;
        }
        try {
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempDirectory(cacheDir, NAME + ".tmp");
            CheckpointWriter.write(tmp, CONFIG, RandomWeights.of(CONFIG, SEED, 0.08), TensorDType.F32, 0);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                deleteTree(tmp); // another process won the race; its copy is identical
            } catch (IOException e) {
                if (!Files.isDirectory(dir)) {
                    throw e;
                }
                deleteTree(tmp);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the built-in model under " + cacheDir, e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
