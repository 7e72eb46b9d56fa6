package ai.adaptserve.model.adapter;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Low-rank update {@code y = xW + (α/r)(xA)B}, applied unmerged.
 *
 * @param rank r
 * @param alpha α; the update is scaled by α/r
 * @param weights per target: {@code A} as {@code [in, r]} and {@code B} as {@code [r, out]}, row-major
 */
public record LoraAdapter(int rank, float alpha, Map<MatrixRef, Factors> weights) implements Adapter {

    /** One matrix's factors, row-major: {@code a} is {@code in × rank}, {@code b} is {@code rank × out}. */
    public record Factors(int in, int out, float[] a, float[] b) {
        public Factors {
            if (in <= 0 || out <= 0) {
                throw new IllegalArgumentException("LoRA factor dimensions must be positive: " + in + "x" + out);
            }
            a = a.clone();
            b = b.clone();
        }

        public int rank() {
            return a.length / in;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Factors f
                    && f.in == in
                    && f.out == out
                    && Arrays.equals(f.a, a)
                    && Arrays.equals(f.b, b);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * in + out) + Arrays.hashCode(a) * 7 + Arrays.hashCode(b);
        }

        @Override
        public String toString() {
            return "Factors[" + in + "x" + out + "]";
        }
    }

    public LoraAdapter {
        if (rank <= 0) {
            throw new IllegalArgumentException("LoRA rank must be positive, was " + rank);
        }
        if (!(alpha > 0) || Float.isInfinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be a positive number, was " + alpha);
        }
        TreeMap<MatrixRef, Factors> copy = new TreeMap<>();
        for (var e : weights.entrySet()) {
            Factors f = e.getValue();
            if (f.a().length != f.in() * rank || f.b().length != rank * f.out()) {
                throw new IllegalArgumentException("lora." + e.getKey().key() + ": A must be " + f.in() + "x" + rank
                        + " and B " + rank + "x" + f.out());
            }
            for (float[] arr : new float[][] {f.a(), f.b()}) {
                for (float x : arr) {
                    if (!Float.isFinite(x)) {
                        throw new IllegalArgumentException("lora." + e.getKey().key() + " holds a non-finite value");
                    }
                }
            }
            copy.put(e.getKey(), f);
        }
        weights = Collections.unmodifiableMap(copy);
    }

    public float scale() {
        return alpha / rank;
    }

    @Override
    public String kind() {
        return "lora";
    }

    @Override
    public Set<MatrixRef> targets() {
        return weights.keySet();
    }

    @Override
    public long parameterBytes() {
        return weights.values().stream()
                .mapToLong(f -> 4L * (f.a().length + f.b().length))
                .sum();
    }
}
