package ai.adaptserve.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One adapter (or none) per row of a batch, for inference. Per matrix it picks an execution:
 *
 * <ul>
 *   <li>{@link Execution#MERGED}: every row shares one adapter; {@code W'} is built once per session and used like
 *       a base weight. Pays {@code in·r·out} once, then costs what the base costs — for long generations.
 *   <li>{@link Execution#FACTORED}: every row carries a z at this matrix; {@code y = ((x V) ⊙ (σ ⊙ z_row)) Uᵀ},
 *       no base product at all.
 *   <li>{@link Execution#DELTA}: rows differ or some have none; {@code y = x W + Δ_row} where a z row adds
 *       {@code ((x V) ⊙ (σ ⊙ (z − 1))) Uᵀ} and a LoRA row adds {@code (α/r)(x A_row) B_row}, gathered per row
 *       and zero for rows without an adapter, so those rows get the base product exactly.
 * </ul>
 *
 * Stacked per-row tensors are built on first use and kept in the session's manager for every later step.
 */
public final class RowAdapterBatch implements AdapterBatch {

    /** How the batch's adapters are applied. */
    public enum Execution {
        /** Choose per matrix as described in the class comment ({@link #MERGED} only when asked for). */
        AUTO,
        FACTORED,
        DELTA,
        MERGED
    }

    private final List<Optional<Adapter>> rows;
    private final SvdFactors svd;
    private final NDManager owner;
    private final Execution execution;
    private final Map<MatrixRef, Prepared> prepared = new HashMap<>();

    private sealed interface Prepared {}

    private record Identity() implements Prepared {}

    private record Merged(NDArray weightT) implements Prepared {}

    private record Factored(SvdFactors.Factors f, NDArray scale) implements Prepared {}

    private record Delta(Optional<Factored> svf, Optional<NDArray> loraA, Optional<NDArray> loraB)
            implements Prepared {}

    /**
     * @param rows the adapter of each row, empty for the base model
     * @param svd the base model's factors; needed when any row carries a z-vector
     * @param owner the session's manager, which keeps the prepared tensors until the session ends
     * @param execution {@link Execution#AUTO} unless a benchmark or test forces one
     */
    public RowAdapterBatch(List<Optional<Adapter>> rows, SvdFactors svd, NDManager owner, Execution execution) {
        this.rows = List.copyOf(rows);
        this.svd = svd;
        this.owner = owner;
        this.execution = execution;
        boolean anyZ = rows.stream().anyMatch(r -> r.isPresent() && r.get() instanceof ZVector);
        if (anyZ && svd == null) {
            throw new IllegalArgumentException("z-vector rows need the base model's SVD factors");
        }
    }

    /** True when no row carries an adapter. */
    public boolean isEmpty() {
        return rows.stream().allMatch(Optional::isEmpty);
    }

    @Override
    public NDArray project(NDManager step, MatrixRef m, NDArray x, NDArray baseT) {
        Prepared p = prepared.computeIfAbsent(m, k -> prepare(k, baseT));
        return switch (p) {
            case Identity i -> x.matMul(baseT);
            case Merged mg -> x.matMul(mg.weightT());
            case Factored f -> factored(x, f);
            case Delta d -> {
                NDArray y = x.matMul(baseT);
                if (d.svf().isPresent()) {
                    y = y.add(factored(x, d.svf().get()));
                }
                if (d.loraA().isPresent()) {
                    y = y.add(x.matMul(d.loraA().get()).matMul(d.loraB().get()));
                }
                yield y;
            }
        };
    }

    private static NDArray factored(NDArray x, Factored f) {
        return x.matMul(f.f().v()).mul(f.scale()).matMul(f.f().ut());
    }

    private Prepared prepare(MatrixRef m, NDArray baseT) {
        int b = rows.size();
        List<Optional<Adapter>> at = new ArrayList<>(b);
        for (Optional<Adapter> r : rows) {
            at.add(r.filter(a -> a.targets().contains(m)));
        }
        if (at.stream().allMatch(Optional::isEmpty)) {
            return new Identity();
        }
        boolean shared = at.stream().allMatch(Optional::isPresent)
                && at.stream().map(Optional::get).distinct().count() == 1;
        if (shared && execution == Execution.MERGED) {
            return new Merged(merge(m, at.get(0).get(), baseT));
        }
        boolean allZ = at.stream().allMatch(r -> r.isPresent() && r.get() instanceof ZVector);
        if (allZ && (execution == Execution.AUTO || execution == Execution.FACTORED)) {
            SvdFactors.Factors f = svd.get(m);
            float[] scale = new float[b * f.rank()];
            float[] sigma = f.sigma().toFloatArray();
            for (int r = 0; r < b; r++) {
                float[] s = scaledSigma(sigma, (ZVector) at.get(r).get(), m);
                System.arraycopy(s, 0, scale, r * s.length, s.length);
            }
            return new Factored(f, owner.create(scale, new Shape(b, 1, f.rank())));
        }
        return delta(m, at, baseT);
    }

    private Delta delta(MatrixRef m, List<Optional<Adapter>> at, NDArray baseT) {
        int b = at.size();
        Optional<Factored> svf = Optional.empty();
        if (at.stream().anyMatch(r -> r.isPresent() && r.get() instanceof ZVector)) {
            SvdFactors.Factors f = svd.get(m);
            float[] sigma = f.sigma().toFloatArray();
            float[] scale = new float[b * f.rank()];
            for (int r = 0; r < b; r++) {
                if (at.get(r).isPresent() && at.get(r).get() instanceof ZVector z) {
                    float[] s = scaledSigma(sigma, z, m);
                    for (int i = 0; i < s.length; i++) {
                        scale[r * s.length + i] = s[i] - sigma[i];
                    }
                }
            }
            svf = Optional.of(new Factored(f, owner.create(scale, new Shape(b, 1, f.rank()))));
        }
        Optional<NDArray> a = Optional.empty();
        Optional<NDArray> bb = Optional.empty();
        int maxRank = 0;
        for (Optional<Adapter> r : at) {
            if (r.isPresent() && r.get() instanceof LoraAdapter l) {
                maxRank = Math.max(maxRank, l.rank());
            }
        }
        if (maxRank > 0) {
            long in = baseT.getShape().get(0);
            long out = baseT.getShape().get(1);
            float[] as = new float[(int) (b * in * maxRank)];
            float[] bs = new float[(int) (b * maxRank * out)];
            for (int r = 0; r < b; r++) {
                if (at.get(r).isPresent() && at.get(r).get() instanceof LoraAdapter l) {
                    LoraAdapter.Factors f = l.weights().get(m);
                    checkDims(m, f, in, out);
                    int rank = l.rank();
                    for (int i = 0; i < in; i++) {
                        System.arraycopy(f.a(), i * rank, as, (int) ((r * in + i) * maxRank), rank);
                    }
                    float s = l.scale();
                    for (int k = 0; k < rank; k++) {
                        for (int o = 0; o < out; o++) {
                            bs[(int) ((r * maxRank + k) * out + o)] = s * f.b()[(int) (k * out + o)];
                        }
                    }
                }
            }
            a = Optional.of(owner.create(as, new Shape(b, in, maxRank)));
            bb = Optional.of(owner.create(bs, new Shape(b, maxRank, out)));
        }
        return new Delta(svf, a, bb);
    }

    private NDArray merge(MatrixRef m, Adapter adapter, NDArray baseT) {
        return switch (adapter) {
            case ZVector z -> {
                SvdFactors.Factors f = svd.get(m);
                float[] s = scaledSigma(f.sigma().toFloatArray(), z, m);
                NDArray scale = owner.create(s, new Shape(1, s.length));
                yield f.v().mul(scale).matMul(f.ut());
            }
            case LoraAdapter l -> {
                LoraAdapter.Factors f = l.weights().get(m);
                long in = baseT.getShape().get(0);
                long out = baseT.getShape().get(1);
                checkDims(m, f, in, out);
                NDArray a = owner.create(f.a(), new Shape(in, l.rank()));
                NDArray b = owner.create(f.b(), new Shape(l.rank(), out));
                yield baseT.add(a.matMul(b).mul(l.scale()));
            }
        };
    }

    private static void checkDims(MatrixRef m, LoraAdapter.Factors f, long in, long out) {
        if (f.in() != in || f.out() != out) {
            throw new IllegalArgumentException(
                    "lora." + m.key() + " is " + f.in() + "x" + f.out() + ", the model's matrix is " + in + "x" + out);
        }
    }

    /** σ ⊙ z, rescaled to keep Σσ when the z-vector asks for it. */
    static float[] scaledSigma(float[] sigma, ZVector z, MatrixRef m) {
        float[] zv = Objects.requireNonNull(z.z().get(m));
        if (zv.length != sigma.length) {
            throw new IllegalArgumentException(
                    "z." + m.key() + " has " + zv.length + " values, the matrix has rank " + sigma.length);
        }
        float[] s = new float[sigma.length];
        double sum = 0;
        double scaledSum = 0;
        for (int i = 0; i < s.length; i++) {
            s[i] = sigma[i] * zv[i];
            sum += sigma[i];
            scaledSum += s[i];
        }
        if (z.preserveSum() && scaledSum != 0) {
            float k = (float) (sum / scaledSum);
            for (int i = 0; i < s.length; i++) {
                s[i] *= k;
            }
        }
        return s;
    }
}
