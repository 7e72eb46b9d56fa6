package ai.adaptserve.model.adapter;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Transformer²'s singular-value scales: for each target {@code W = U Σ Vᵀ}, {@code W' = U diag(Σ ⊙ z) Vᵀ}. A
 * matrix not in the map is left as it is (z = 1).
 *
 * @param z one scale per singular value of each target matrix
 * @param preserveSum rescale so that {@code Σ(σ ⊙ z)} equals {@code Σσ}, as Transformer² optionally does
 */
public record ZVector(Map<MatrixRef, float[]> z, boolean preserveSum) implements Adapter {
    public ZVector {
        TreeMap<MatrixRef, float[]> copy = new TreeMap<>();
        z.forEach((k, v) -> {
            for (float f : v) {
                if (!Float.isFinite(f)) {
                    throw new IllegalArgumentException("z." + k.key() + " holds a non-finite value");
                }
            }
            copy.put(k, v.clone());
        });
        z = Collections.unmodifiableMap(copy);
    }

    /** z = 1 on every given matrix: the base model exactly. */
    public static ZVector ones(Map<MatrixRef, Integer> ranks) {
        TreeMap<MatrixRef, float[]> z = new TreeMap<>();
        ranks.forEach((k, r) -> {
            float[] v = new float[r];
            java.util.Arrays.fill(v, 1f);
            z.put(k, v);
        });
        return new ZVector(z, false);
    }

    /**
     * Transformer²'s mixture {@code z = Σ_k α_k z_k}. {@code alphas[k]} has one entry (one α per expert) or
     * one per layer (α per expert and layer; the head, if targeted, uses the last layer's α).
     */
    public static ZVector mix(List<ZVector> experts, float[][] alphas) {
        if (experts.isEmpty() || experts.size() != alphas.length) {
            throw new IllegalArgumentException(
                    "need one α row per expert: " + experts.size() + " experts, " + alphas.length + " α rows");
        }
        Set<MatrixRef> targets = experts.get(0).targets();
        TreeMap<MatrixRef, float[]> out = new TreeMap<>();
        for (int k = 0; k < experts.size(); k++) {
            ZVector e = experts.get(k);
            if (!e.targets().equals(targets)) {
                throw new IllegalArgumentException("expert " + k + " targets different matrices than expert 0");
            }
            for (Map.Entry<MatrixRef, float[]> en : e.z().entrySet()) {
                int layer = en.getKey().layer();
                float a = alphas[k].length == 1
                        ? alphas[k][0]
                        : alphas[k][layer == MatrixRef.HEAD_LAYER ? alphas[k].length - 1 : layer];
                float[] acc = out.computeIfAbsent(en.getKey(), x -> new float[en.getValue().length]);
                if (acc.length != en.getValue().length) {
                    throw new IllegalArgumentException("expert " + k + " has rank " + en.getValue().length + " at "
                            + en.getKey().key() + ", expert 0 has " + acc.length);
                }
                for (int i = 0; i < acc.length; i++) {
                    acc[i] += a * en.getValue()[i];
                }
            }
        }
        return new ZVector(out, experts.get(0).preserveSum());
    }

    @Override
    public String kind() {
        return "svf";
    }

    @Override
    public Set<MatrixRef> targets() {
        return z.keySet();
    }

    @Override
    public long parameterBytes() {
        return z.values().stream().mapToLong(v -> 4L * v.length).sum();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ZVector other)
                || other.preserveSum != preserveSum
                || !other.z.keySet().equals(z.keySet())) {
            return false;
        }
        for (var e : z.entrySet()) {
            if (!java.util.Arrays.equals(e.getValue(), other.z.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Boolean.hashCode(preserveSum);
        for (var e : z.entrySet()) {
            h = 31 * h + e.getKey().hashCode() * 17 + java.util.Arrays.hashCode(e.getValue());
        }
        return h;
    }

    @Override
    public String toString() {
        return "ZVector" + z.keySet() + (preserveSum ? " preserveSum" : "");
    }
}
