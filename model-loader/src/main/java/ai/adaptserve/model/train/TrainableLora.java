package ai.adaptserve.model.train;

import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.config.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A trainable LoRA: per target, {@code A} {@code [in, r]} drawn from U(−1/√in, 1/√in) (seeded, as PEFT's Kaiming
 * init) and {@code B} {@code [r, out]} at zero, so training starts from the base model; {@code y = x·W +
 * (α/r)·(x·A)·B}.
 */
final class TrainableLora extends TrainableBatch<LoraAdapter> {
    private final int rank;
    private final float alpha;
    private final float scale;
    private final Map<MatrixRef, Param[]> ab = new TreeMap<>();
    private final Map<MatrixRef, int[]> dims = new TreeMap<>();

    TrainableLora(
            NDManager parent,
            ModelConfig cfg,
            Set<MatrixRef> targets,
            int rank,
            float alpha,
            boolean decay,
            long seed) {
        super(parent);
        this.rank = rank;
        this.alpha = alpha;
        this.scale = alpha / rank;
        Random rnd = new Random(seed);
        try {
            for (MatrixRef m : new TreeSet<>(targets)) {
                int in = m.matrix().in(cfg);
                int out = m.matrix().out(cfg);
                float[] a = new float[in * rank];
                float bound = (float) (1 / Math.sqrt(in));
                for (int i = 0; i < a.length; i++) {
                    a[i] = (rnd.nextFloat() * 2 - 1) * bound;
                }
                Param pa = param("lora." + m.key() + ".A", a, new Shape(in, rank), decay);
                Param pb = param("lora." + m.key() + ".B", new float[rank * out], new Shape(rank, out), decay);
                ab.put(m, new Param[] {pa, pb});
                dims.put(m, new int[] {in, out});
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public NDArray project(NDManager step, MatrixRef m, NDArray x, NDArray baseT) {
        Param[] p = ab.get(m);
        NDArray y = x.matMul(baseT);
        if (p == null) {
            return y;
        }
        return y.add(x.matMul(p[0].live()).matMul(p[1].live()).mul(Losses.scalar(step, scale)));
    }

    @Override
    LoraAdapter export() {
        TreeMap<MatrixRef, LoraAdapter.Factors> w = new TreeMap<>();
        ab.forEach((m, p) -> {
            int[] d = dims.get(m);
            w.put(m, new LoraAdapter.Factors(d[0], d[1], p[0].value.toFloatArray(), p[1].value.toFloatArray()));
        });
        return new LoraAdapter(rank, alpha, w);
    }
}
