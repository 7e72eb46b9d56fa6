package ai.adaptserve.model.train;

import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.adapter.SvdFactors;
import ai.adaptserve.model.adapter.ZVector;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A trainable z-vector: one {@code z} of length r per target matrix, starting at ones (the base model). A targeted
 * projection is computed from the factors, {@code y = ((x·V) ⊙ (σ ⊙ z)) · Uᵀ}, optionally with Transformer²'s rescale
 * of {@code σ ⊙ z} to keep {@code Σσ}; every row of the batch uses the same z.
 */
final class TrainableZ extends TrainableBatch<ZVector> {
    private final SvdFactors svd;
    private final boolean preserveSum;
    private final Map<MatrixRef, Param> z = new TreeMap<>();
    private final Map<MatrixRef, Float> sigmaSums = new TreeMap<>();

    /**
     * @param init starting z per target (ones when absent from the map)
     */
    TrainableZ(
            NDManager parent,
            SvdFactors svd,
            Set<MatrixRef> targets,
            boolean preserveSum,
            Map<MatrixRef, float[]> init) {
        super(parent);
        this.svd = svd;
        this.preserveSum = preserveSum;
        try {
            for (MatrixRef m : new java.util.TreeSet<>(targets)) {
                SvdFactors.Factors f = svd.get(m);
                int r = f.rank();
                float[] v = init.get(m);
                if (v == null) {
                    v = new float[r];
                    Arrays.fill(v, 1f);
                } else if (v.length != r) {
                    throw new IllegalArgumentException(
                            "z." + m.key() + " starts with " + v.length + " values, the matrix has rank " + r);
                }
                z.put(m, param("z." + m.key(), v, new Shape(r), false));
                double s = 0;
                for (float x : f.sigma().toFloatArray()) {
                    s += x;
                }
                sigmaSums.put(m, (float) s);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public NDArray project(NDManager step, MatrixRef m, NDArray x, NDArray baseT) {
        Param p = z.get(m);
        if (p == null) {
            return x.matMul(baseT);
        }
        SvdFactors.Factors f = svd.get(m);
        // The step's z first, so that every result belongs to the step, never to the shared factors' manager.
        NDArray scale = p.live().mul(f.sigma());
        if (preserveSum) {
            scale = scale.div(scale.sum()).mul(Losses.scalar(step, sigmaSums.get(m)));
        }
        return x.matMul(f.v()).mul(scale).matMul(f.ut());
    }

    @Override
    ZVector export() {
        TreeMap<MatrixRef, float[]> out = new TreeMap<>();
        z.forEach((m, p) -> out.put(m, p.value.toFloatArray()));
        return new ZVector(out, preserveSum);
    }
}
