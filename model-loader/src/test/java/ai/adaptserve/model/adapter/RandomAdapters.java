package ai.adaptserve.model.adapter;

import ai.adaptserve.model.config.ModelConfig;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/** Seeded random adapters shaped for a model, for tests and benchmarks. */
public final class RandomAdapters {
    private RandomAdapters() {}

    /** z = 1 + spread·N(0,1) on every given matrix. */
    public static ZVector z(Map<MatrixRef, Integer> ranks, double spread, long seed, boolean preserveSum) {
        Random r = new Random(seed);
        TreeMap<MatrixRef, float[]> z = new TreeMap<>();
        ranks.forEach((m, rank) -> {
            float[] v = new float[rank];
            for (int i = 0; i < rank; i++) {
                v[i] = (float) (1 + spread * r.nextGaussian());
            }
            z.put(m, v);
        });
        return new ZVector(z, preserveSum);
    }

    /** A LoRA with A and B both random (PEFT starts B at zero; tests want a visible effect). */
    public static LoraAdapter lora(ModelConfig cfg, Set<TargetMatrix> targets, boolean head, int rank, long seed) {
        Random r = new Random(seed);
        TreeMap<MatrixRef, LoraAdapter.Factors> w = new TreeMap<>();
        for (int l = 0; l < cfg.numLayers(); l++) {
            for (TargetMatrix t : targets) {
                w.put(new MatrixRef(l, t), factors(t.in(cfg), t.out(cfg), rank, r));
            }
        }
        if (head) {
            w.put(MatrixRef.head(), factors(TargetMatrix.HEAD.in(cfg), TargetMatrix.HEAD.out(cfg), rank, r));
        }
        return new LoraAdapter(rank, 2f * rank, w);
    }

    private static LoraAdapter.Factors factors(int in, int out, int rank, Random r) {
        float[] a = new float[in * rank];
        float[] b = new float[rank * out];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextGaussian() * 0.05);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (r.nextGaussian() * 0.05);
        }
        return new LoraAdapter.Factors(in, out, a, b);
    }
}
