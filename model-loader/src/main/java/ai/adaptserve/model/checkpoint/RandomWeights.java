package ai.adaptserve.model.checkpoint;

import ai.adaptserve.model.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded random weights for a config: the models that tests and benchmarks make for themselves. */
public final class RandomWeights {
    private RandomWeights() {}

    /**
     * Every tensor a Llama-family checkpoint of this shape holds, by HF name. Matrices are N(0, std²); norm
     * weights are 1 + N(0, 0.1²) so that a wrong norm shows in the logits; biases are N(0, 0.02²).
     */
    public static List<CheckpointWriter.Tensor> of(ModelConfig cfg, long seed, double std) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<CheckpointWriter.Tensor> out = new ArrayList<>();
        int h = cfg.hiddenSize();
        out.add(matrix("model.embed_tokens.weight", cfg.vocabSize(), h, std, rnd));
        for (int i = 0; i < cfg.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            out.add(norm(p + "input_layernorm.weight", h, rnd));
            out.add(matrix(p + "self_attn.q_proj.weight", cfg.qDim(), h, std, rnd));
            out.add(matrix(p + "self_attn.k_proj.weight", cfg.kvDim(), h, std, rnd));
            out.add(matrix(p + "self_attn.v_proj.weight", cfg.kvDim(), h, std, rnd));
            if (cfg.attentionBias()) {
                out.add(vector(p + "self_attn.q_proj.bias", cfg.qDim(), 0.02, rnd));
                out.add(vector(p + "self_attn.k_proj.bias", cfg.kvDim(), 0.02, rnd));
                out.add(vector(p + "self_attn.v_proj.bias", cfg.kvDim(), 0.02, rnd));
            }
            out.add(matrix(p + "self_attn.o_proj.weight", h, cfg.qDim(), std, rnd));
            out.add(norm(p + "post_attention_layernorm.weight", h, rnd));
            out.add(matrix(p + "mlp.gate_proj.weight", cfg.intermediateSize(), h, std, rnd));
            out.add(matrix(p + "mlp.up_proj.weight", cfg.intermediateSize(), h, std, rnd));
            out.add(matrix(p + "mlp.down_proj.weight", h, cfg.intermediateSize(), std, rnd));
        }
        out.add(norm("model.norm.weight", h, rnd));
        if (!cfg.tieWordEmbeddings()) {
            out.add(matrix("lm_head.weight", cfg.vocabSize(), h, std, rnd));
        }
        return out;
    }

    private static CheckpointWriter.Tensor matrix(String name, int rows, int cols, double std, SplittableRandom r) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (gaussian(r) * std);
        }
        return new CheckpointWriter.Tensor(name, v, new long[] {rows, cols});
    }

    private static CheckpointWriter.Tensor vector(String name, int n, double std, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian(r) * std);
        }
        return new CheckpointWriter.Tensor(name, v, new long[] {n});
    }

    private static CheckpointWriter.Tensor norm(String name, int n, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1 + 0.1 * gaussian(r));
        }
        return new CheckpointWriter.Tensor(name, v, new long[] {n});
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller; SplittableRandom has no nextGaussian before JDK 17's RandomGenerator default.
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
