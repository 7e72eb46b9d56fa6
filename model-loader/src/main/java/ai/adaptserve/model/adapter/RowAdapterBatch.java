package ai.adaptserve.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
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
 * Each adapter's own tensors come from {@link PreparedAdapters} (built once per adapter when a cache is given, else
 * per batch); per-row stacks of them are built on first use and kept in the session's manager for every later step.
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
    /** Whether the adapters' tensors come from a cache kept across batches (which may then keep merged weights). */
    private final boolean crossBatch;

    private final Map<MatrixRef, Prepared> prepared = new HashMap<>();
    private final Map<Adapter, PreparedAdapters.Lease> leases = new IdentityHashMap<>();

    private sealed interface Prepared {}

    private record Identity() implements Prepared {}

    private record Merged(NDArray weightT) implements Prepared {}

    /**
     * Every row shares this adapter and its merged weights are kept across batches by {@link PreparedAdapters}: built
     * on first use (alone, or side by side with its neighbours), then a product costs what the base product does.
     */
    private record Hot(Adapter adapter) implements Prepared {}

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
        this(rows, svd, owner, execution, null);
    }

    /**
     * As the other constructor, taking each adapter's tensors from {@code cache} (kept across batches, pinned until
     * {@code owner} closes) instead of preparing them for this batch alone.
     *
     * @param cache adapters prepared across batches; null prepares them under {@code owner} for this batch only
     */
    public RowAdapterBatch(
            List<Optional<Adapter>> rows,
            SvdFactors svd,
            NDManager owner,
            Execution execution,
            PreparedAdapters cache) {
        this.rows = List.copyOf(rows);
        this.svd = svd;
        this.owner = owner;
        this.execution = execution;
        this.crossBatch = cache != null;
        boolean anyZ = rows.stream().anyMatch(r -> r.isPresent() && r.get() instanceof ZVector);
        if (anyZ && svd == null) {
            throw new IllegalArgumentException("z-vector rows need the base model's SVD factors");
        }
        // Unbounded and under the owner: closed with the batch, so this path prepares per batch as before.
        PreparedAdapters source = cache != null ? cache : new PreparedAdapters(owner, Long.MAX_VALUE);
        try {
            for (Optional<Adapter> r : this.rows) {
                if (r.isPresent() && !leases.containsKey(r.get())) {
                    leases.put(r.get(), source.acquire(r.get(), svd));
                }
            }
        } catch (RuntimeException e) {
            leases.values().forEach(PreparedAdapters.Lease::close);
            throw e;
        }
        if (cache != null && !leases.isEmpty()) {
            // The cached tensors stay pinned while any step of this batch may read them: until its owner closes.
            List<PreparedAdapters.Lease> held = List.copyOf(leases.values());
            owner.attachInternal(
                    "prepared-adapters-" + System.identityHashCode(this),
                    () -> held.forEach(PreparedAdapters.Lease::close));
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
            case Hot h -> x.matMul(lease(h.adapter()).merged(m, () -> merge(m, h.adapter(), baseT)));
            case Factored f -> factored(x, f);
            case Delta d -> {
                NDArray y = x.matMul(baseT);
                addDeltaInPlace(y, x, d);
                yield y;
            }
        };
    }

    /**
     * One product over the base weights side by side, then each matrix's rows' deltas added to its part. Null when
     * a matrix is merged or factored here (its product does not start from the base product).
     */
    @Override
    public NDArray projectSideBySide(
            NDManager step, List<MatrixRef> ms, NDArray x, NDArray sideBySideT, List<NDArray> partsT) {
        List<Prepared> ps = new ArrayList<>(ms.size());
        boolean anyDelta = false;
        Adapter hot = null;
        for (int i = 0; i < ms.size(); i++) {
            NDArray baseT = partsT.get(i);
            Prepared p = prepared.computeIfAbsent(ms.get(i), k -> prepare(k, baseT));
            if (p instanceof Merged || p instanceof Factored) {
                return null;
            }
            anyDelta |= p instanceof Delta;
            if (p instanceof Hot h) {
                hot = h.adapter();
            }
            ps.add(p);
        }
        if (hot != null && !anyDelta) {
            // The shared hot adapter's merged weights side by side (base weights for the parts it leaves alone),
            // kept as one tensor: one product, as for the base model.
            Adapter a = hot;
            return x.matMul(lease(a).merged(List.copyOf(ms), () -> {
                NDList cols = new NDList(ms.size());
                for (int i = 0; i < ms.size(); i++) {
                    cols.add(ps.get(i) instanceof Hot ? merge(ms.get(i), a, partsT.get(i)) : partsT.get(i));
                }
                return owned(NDArrays.concat(cols, 1));
            }));
        }
        if (hot != null) {
            return null;
        }
        NDArray y = x.matMul(sideBySideT);
        if (!anyDelta) {
            return y;
        }
        long[] cuts = new long[ms.size() - 1];
        long at = 0;
        for (int i = 0; i < cuts.length; i++) {
            at += partsT.get(i).getShape().get(1);
            cuts[i] = at;
        }
        // The parts are views into y: each row's deltas are added in place, so y needs no concatenation after.
        NDList parts = y.split(cuts, 2);
        for (int i = 0; i < parts.size(); i++) {
            if (ps.get(i) instanceof Delta d) {
                addDeltaInPlace(parts.get(i), x, d);
            }
        }
        return y;
    }

    /** Adds to {@code y} (the base product, or a view into it) what each row's adapter adds, in place. */
    private static void addDeltaInPlace(NDArray y, NDArray x, Delta d) {
        if (d.svf().isPresent()) {
            y.addi(factored(x, d.svf().get()));
        }
        if (d.loraA().isPresent()) {
            y.addi(x.matMul(d.loraA().get()).matMul(d.loraB().get()));
        }
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
        // By identity, as the prepared adapters are: hashing a LoRA's contents per matrix would cost what they save.
        Adapter first = at.get(0).orElse(null);
        boolean shared = first != null && at.stream().allMatch(r -> r.isPresent() && r.get() == first);
        if (shared && execution == Execution.MERGED) {
            return new Merged(merge(m, at.get(0).get(), baseT));
        }
        if (shared && execution == Execution.AUTO && crossBatch && lease(first).mergeable()) {
            return new Hot(first);
        }
        boolean allZ = at.stream().allMatch(r -> r.isPresent() && r.get() instanceof ZVector);
        if (allZ && (execution == Execution.AUTO || execution == Execution.FACTORED)) {
            SvdFactors.Factors f = svd.get(m);
            return new Factored(f, perRow(at, shared, r -> lease(r).svf(m).scaled(), f.rank()));
        }
        return delta(m, at, shared, baseT);
    }

    private PreparedAdapters.Lease lease(Adapter a) {
        return leases.get(a);
    }

    /**
     * One {@code [1, 1, rank]} scale per row, as {@code [b, 1, rank]}: the prepared tensor itself when every row shares
     * the adapter (it broadcasts over the rows), else the rows' tensors stacked, zeros for rows without one.
     */
    private NDArray perRow(
            List<Optional<Adapter>> at, boolean shared, java.util.function.Function<Adapter, NDArray> piece, int rank) {
        if (shared) {
            return piece.apply(at.get(0).get());
        }
        NDList parts = new NDList(at.size());
        for (Optional<Adapter> r : at) {
            parts.add(
                    r.isPresent() && r.get() instanceof ZVector
                            ? piece.apply(r.get())
                            : owner.zeros(new Shape(1, 1, rank)));
        }
        return owned(NDArrays.concat(parts, 0));
    }

    /** An op's result belongs to its first operand's manager; one on a prepared tensor is moved to this batch's. */
    private NDArray owned(NDArray x) {
        x.attach(owner);
        return x;
    }

    private Delta delta(MatrixRef m, List<Optional<Adapter>> at, boolean shared, NDArray baseT) {
        Optional<Factored> svf = Optional.empty();
        boolean anyZ = at.stream().anyMatch(r -> r.isPresent() && r.get() instanceof ZVector);
        if (anyZ) {
            SvdFactors.Factors f = svd.get(m);
            svf = Optional.of(
                    new Factored(f, perRow(at, shared, r -> lease(r).svf(m).delta(), f.rank())));
        }
        Optional<NDArray> a = Optional.empty();
        Optional<NDArray> bb = Optional.empty();
        int maxRank = 0;
        long in = baseT.getShape().get(0);
        long out = baseT.getShape().get(1);
        for (Optional<Adapter> r : at) {
            if (r.isPresent() && r.get() instanceof LoraAdapter l) {
                checkDims(m, l.weights().get(m), in, out);
                maxRank = Math.max(maxRank, lease(l).lora(m).rank());
            }
        }
        if (maxRank > 0 && shared) {
            // Every row has this LoRA: its prepared factors as they are, broadcast over the rows.
            PreparedAdapters.LoraPiece p = lease(at.get(0).get()).lora(m);
            a = Optional.of(p.a());
            bb = Optional.of(p.b());
        } else if (maxRank > 0) {
            NDList as = new NDList(at.size());
            NDList bs = new NDList(at.size());
            for (Optional<Adapter> r : at) {
                if (r.isPresent() && r.get() instanceof LoraAdapter l) {
                    PreparedAdapters.LoraPiece p = lease(l).lora(m);
                    int pad = maxRank - p.rank();
                    as.add(pad == 0 ? p.a() : owned(p.a().concat(owner.zeros(new Shape(in, pad)), 1)));
                    bs.add(pad == 0 ? p.b() : owned(p.b().concat(owner.zeros(new Shape(pad, out)), 0)));
                } else {
                    as.add(owner.zeros(new Shape(in, maxRank)));
                    bs.add(owner.zeros(new Shape(maxRank, out)));
                }
            }
            a = Optional.of(owned(NDArrays.stack(as, 0)));
            bb = Optional.of(owned(NDArrays.stack(bs, 0)));
        }
        return new Delta(svf, a, bb);
    }

    /** {@code W'ᵀ} of {@code m}, {@code [in, out]}, from the adapter's prepared tensors; in this batch's manager. */
    private NDArray merge(MatrixRef m, Adapter adapter, NDArray baseT) {
        return switch (adapter) {
            case ZVector z -> {
                SvdFactors.Factors f = svd.get(m);
                NDArray scaled = owned(lease(z).svf(m).scaled().reshape(1, f.rank())); // σ ⊙ z
                yield owned(owned(f.v().mul(scaled)).matMul(f.ut()));
            }
            case LoraAdapter l -> {
                checkDims(
                        m,
                        l.weights().get(m),
                        baseT.getShape().get(0),
                        baseT.getShape().get(1));
                PreparedAdapters.LoraPiece p = lease(l).lora(m); // A and (α/r)·B
                yield owned(baseT.add(owned(p.a().matMul(p.b()))));
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
