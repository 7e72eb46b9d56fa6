package ai.adaptserve.model;

import ai.adaptserve.model.checkpoint.CheckpointWriter;
import ai.adaptserve.model.checkpoint.RandomWeights;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Small checkpoints that tests write for themselves with the project's own writer. */
public final class TestModels {
    private TestModels() {}

    /** A tiny Llama with grouped-query attention (4 heads over 2 KV heads) and an untied head. */
    public static ModelConfig tinyLlama(boolean tied, boolean bias) {
        return new ModelConfig(
                "LlamaForCausalLM",
                ByteTokenizer.VOCAB,
                64,
                160,
                3,
                4,
                2,
                16,
                1e-5,
                10000.0,
                Optional.empty(),
                tied,
                bias,
                256,
                Optional.of(ByteTokenizer.BOS),
                List.of(ByteTokenizer.EOS),
                "float32");
    }

    /** A tiny Qwen2: q/k/v biases, tied embeddings, no BOS. */
    public static ModelConfig tinyQwen2() {
        return new ModelConfig(
                "Qwen2ForCausalLM",
                ByteTokenizer.VOCAB,
                64,
                160,
                2,
                4,
                2,
                16,
                1e-6,
                1000000.0,
                Optional.empty(),
                true,
                true,
                256,
                Optional.empty(),
                List.of(ByteTokenizer.EOS),
                "float32");
    }

    /**
     * A tiny Llama 3 shape: one KV head (multi-query) and theta 500000. Without rope_scaling, because Jlama 0.8.4
     * implements only "linear" scaling; {@code RotaryEmbeddingTest} checks Llama 3's scaling instead.
     */
    public static ModelConfig tinyLlama3() {
        return new ModelConfig(
                "LlamaForCausalLM",
                ByteTokenizer.VOCAB,
                64,
                160,
                2,
                4,
                1,
                16,
                1e-5,
                500000.0,
                Optional.empty(),
                false,
                false,
                256,
                Optional.of(ByteTokenizer.BOS),
                List.of(ByteTokenizer.EOS),
                "float32");
    }

    public static Path write(Path dir, ModelConfig cfg, long seed, TensorDType dtype, long maxShardBytes) {
        try {
            CheckpointWriter.write(dir, cfg, RandomWeights.of(cfg, seed, 0.08), dtype, maxShardBytes);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
