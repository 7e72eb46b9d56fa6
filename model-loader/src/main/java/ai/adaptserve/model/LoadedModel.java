package ai.adaptserve.model;

import ai.adaptserve.model.checkpoint.CheckpointTensors;
import ai.adaptserve.model.checkpoint.MalformedCheckpointException;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.generate.BatchGenerator;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.generate.TextGenerator;
import ai.adaptserve.model.llama.LlamaDecoder;
import ai.adaptserve.model.llama.LlamaWeights;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import ai.adaptserve.model.tokenizer.HfTokenizer;
import ai.adaptserve.model.tokenizer.TextTokenizer;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A checkpoint loaded into DJL, ready to generate. Closing it frees its native memory. */
public final class LoadedModel implements TextGenerator, AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final String fingerprint;
    private final NDManager root;
    private final LlamaWeights weights;
    private final LlamaDecoder decoder;
    private final TextTokenizer tokenizer;
    private final BatchGenerator generator;

    private LoadedModel(
            Path dir,
            ModelConfig config,
            String fingerprint,
            NDManager root,
            LlamaWeights weights,
            TextTokenizer tokenizer) {
        this.dir = dir;
        this.config = config;
        this.fingerprint = fingerprint;
        this.root = root;
        this.weights = weights;
        this.decoder = new LlamaDecoder(weights);
        this.tokenizer = tokenizer;
        Set<Integer> eos = new HashSet<>(config.eosTokenIds());
        this.generator = new BatchGenerator(
                decoder,
                tokenizer,
                eos,
                config.maxPositionEmbeddings(),
                config.bosTokenId().isPresent());
    }

    /** Loads a Hugging Face-format checkpoint directory (config.json, safetensors, tokenizer) in F32. */
    public static LoadedModel load(Path checkpointDir) {
        return load(checkpointDir, ModelOptions.defaults());
    }

    /**
     * Loads a checkpoint directory. Problems with the files come back as {@link IllegalArgumentException}s that
     * name the file and, where there is one, the tensor.
     */
    public static LoadedModel load(Path checkpointDir, ModelOptions options) {
        Path dir = checkpointDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model directory " + dir + " does not exist");
        }
        ModelConfig config;
        String fingerprint;
        try {
            config = ModelConfig.read(dir);
            fingerprint = ModelFingerprint.of(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Engine engine = Engine.getEngine("PyTorch");
        Device device = options.device().isBlank() ? engine.defaultDevice() : Device.fromName(options.device());
        NDManager root = engine.newBaseManager(device);
        TextTokenizer tokenizer = null;
        try (CheckpointTensors tensors = CheckpointTensors.open(dir)) {
            LlamaWeights weights = LlamaWeights.load(config, tensors, dir, root, options.computeType());
            Path tj = dir.resolve("tokenizer.json");
            tokenizer = Files.isRegularFile(tj) ? new HfTokenizer(tj) : new ByteTokenizer(config.bosTokenId());
            return new LoadedModel(dir, config, fingerprint, root, weights, tokenizer);
        } catch (MalformedCheckpointException e) {
            root.close();
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            root.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            root.close();
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
    }

    /** Stable id of the base weights (sha256 over config and tensor bytes), used to key adapters. */
    public String fingerprint() {
        return fingerprint;
    }

    /** The checkpoint directory's name, shown in /v1/models. */
    public String name() {
        return dir.getFileName().toString();
    }

    public Path directory() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** Native arrays held by the weights; stays constant while the model serves (a leak check). */
    public int nativeArrayCount() {
        return weights.nativeArrayCount();
    }

    /** Token ids of a prompt as the model sees it (with BOS where the model uses one). */
    public int[] encode(String prompt) {
        return generator.encode(prompt);
    }

    @Override
    public List<Generation> generate(List<String> prompts, List<GenerationParams> params) {
        return generator.generate(prompts, params);
    }

    @Override
    public int countTokens(String text) {
        return generator.countTokens(text);
    }

    @Override
    public int contextLength() {
        return generator.contextLength();
    }

    @Override
    public void close() {
        tokenizer.close();
        root.close();
    }
}
