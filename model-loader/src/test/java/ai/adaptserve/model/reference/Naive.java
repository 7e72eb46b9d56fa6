package ai.adaptserve.model.reference;

import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.checkpoint.CheckpointWriter;
import ai.adaptserve.model.config.ModelConfig;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference forward pass written from the definitions, in plain Java and double precision, loop by loop: no DJL,
 * nothing shared with the production decoder but the checkpoint's tensors and {@link ModelConfig}. Slow and only
 * for tiny shapes. What each piece follows:
 *
 * <ul>
 *   <li>RMSNorm: {@code y = x / sqrt(mean(x²) + eps) ⊙ w} (Llama's {@code LlamaRMSNorm}).
 *   <li>Rotary embedding: inverse frequencies {@code θ^(-2i/d)}, Llama 3's {@code rope_scaling} as in transformers'
 *       {@code _compute_llama3_parameters}, and the "rotate half" layout of Hugging Face checkpoints: dimension
 *       {@code i} of the first half pairs with {@code i + d/2}, {@code x' = x cos + rotate_half(x) sin},
 *       {@code rotate_half(x) = (-x₂, x₁)}.
 *   <li>Attention: query head {@code h} reads KV head {@code h / (heads / kvHeads)} (transformers' {@code repeat_kv}),
 *       scores {@code q·k / sqrt(d)}, causal (key {@code j ≤} query {@code i}), softmax, weighted sum of values.
 *   <li>MLP: {@code down(silu(gate(x)) ⊙ up(x))}, {@code silu(a) = a / (1 + e^-a)}.
 *   <li>Weights in the checkpoint's {@code [out, in]} layout: {@code y = W x (+ b)}.
 *   <li>LoRA with the project's factor layout ({@code A [in, r]}, {@code B [r, out]}, see {@link LoraAdapter}):
 *       {@code y = W x + (α/r) (x A) B}, i.e. {@code W' = W + (α/r) (A B)ᵀ}.
 *   <li>SVF (Transformer²): {@code W = U Σ Vᵀ} by a one-sided Jacobi SVD written here, then
 *       {@code W' = U diag(σ ⊙ z) Vᵀ}, with {@code σ ⊙ z} rescaled to keep {@code Σσ} when asked to (the
 *       definition {@code ZVector} documents).
 * </ul>
 */
public final class Naive {
    private Naive() {}

    // ------------------------------------------------------------------ linear algebra

    /** {@code y = W x} for {@code W} as {@code [out][in]}. */
    public static double[] linear(double[] x, double[][] w) {
        double[] y = new double[w.length];
        for (int o = 0; o < w.length; o++) {
            if (w[o].length != x.length) {
                throw new IllegalArgumentException("W row has " + w[o].length + " columns, x has " + x.length);
            }
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += w[o][i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    /** {@code a · b} for {@code a [n][k]}, {@code b [k][m]}. */
    public static double[][] matmul(double[][] a, double[][] b) {
        int n = a.length;
        int k = b.length;
        int m = b[0].length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    s += a[i][l] * b[l][j];
                }
                c[i][j] = s;
            }
        }
        return c;
    }

    public static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** A row-major float array as {@code [rows][cols]} doubles. */
    public static double[][] matrix(float[] values, int rows, int cols) {
        if (values.length != rows * cols) {
            throw new IllegalArgumentException(values.length + " values for " + rows + "x" + cols);
        }
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m[i][j] = values[i * cols + j];
            }
        }
        return m;
    }

    public static double[] vector(float[] values) {
        double[] v = new double[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = values[i];
        }
        return v;
    }

    // ------------------------------------------------------------------ the layer's pieces

    /** {@code x / sqrt(mean(x²) + eps) ⊙ w}. */
    public static double[] rmsNorm(double[] x, double[] w, double eps) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        ms /= x.length;
        double inv = 1 / Math.sqrt(ms + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * inv * w[i];
        }
        return y;
    }

    public static double silu(double a) {
        return a / (1 + Math.exp(-a));
    }

    /** Inverse frequencies of the rotary embedding, with Llama 3's frequency scaling if the config has it. */
    public static double[] ropeInvFreq(ModelConfig cfg) {
        int d = cfg.headDim();
        double[] f = new double[d / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = Math.pow(cfg.ropeTheta(), -2.0 * i / d);
        }
        if (cfg.ropeScaling().isPresent()) {
            ModelConfig.RopeScaling rs = cfg.ropeScaling().get();
            // transformers, modeling_rope_utils._compute_llama3_parameters
            double oldContext = rs.originalMaxPositionEmbeddings();
            double lowFreqWavelen = oldContext / rs.lowFreqFactor();
            double highFreqWavelen = oldContext / rs.highFreqFactor();
            for (int i = 0; i < f.length; i++) {
                double wavelen = 2 * Math.PI / f[i];
                double scaled = wavelen > lowFreqWavelen ? f[i] / rs.factor() : f[i];
                double smooth =
                        (oldContext / wavelen - rs.lowFreqFactor()) / (rs.highFreqFactor() - rs.lowFreqFactor());
                double smoothed = (1 - smooth) * scaled / rs.factor() + smooth * scaled;
                boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
                f[i] = medium ? smoothed : scaled;
            }
        }
        return f;
    }

    /** One head's vector rotated to {@code position}, "rotate half" layout: pairs {@code (i, i + d/2)}. */
    public static double[] rope(double[] x, int position, double[] invFreq) {
        int half = x.length / 2;
        double[] y = new double[x.length];
        for (int i = 0; i < half; i++) {
            double angle = position * invFreq[i];
            double c = Math.cos(angle);
            double s = Math.sin(angle);
            // x cos + rotate_half(x) sin, rotate_half(x) = (-x[half:], x[:half])
            y[i] = x[i] * c - x[i + half] * s;
            y[i + half] = x[i + half] * c + x[i] * s;
        }
        return y;
    }

    /**
     * Causal grouped-query attention over one sequence. {@code q [S][heads·d]}, {@code k, v [S][kvHeads·d]}, already
     * rotated; returns {@code [S][heads·d]}.
     */
    public static double[][] attention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int d) {
        int s = q.length;
        int group = heads / kvHeads;
        double[][] out = new double[s][heads * d];
        for (int t = 0; t < s; t++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                double[] scores = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= t; j++) { // causal: keys up to and including the query's position
                    double dot = 0;
                    for (int e = 0; e < d; e++) {
                        dot += q[t][h * d + e] * k[j][kvh * d + e];
                    }
                    scores[j] = dot / Math.sqrt(d);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j <= t; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j <= t; j++) {
                    double p = scores[j] / sum;
                    for (int e = 0; e < d; e++) {
                        out[t][h * d + e] += p * v[j][kvh * d + e];
                    }
                }
            }
        }
        return out;
    }

    public static double[] logSoftmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (double l : logits) {
            sum += Math.exp(l - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }

    // ------------------------------------------------------------------ adapters, as changed weights

    /** {@code W + (α/r) (A B)ᵀ} for {@code W [out][in]}, {@code A [in, r]}, {@code B [r, out]} row-major. */
    public static double[][] lora(double[][] w, LoraAdapter.Factors f, int rank, double alpha) {
        int out = w.length;
        int in = w[0].length;
        if (f.in() != in || f.out() != out) {
            throw new IllegalArgumentException("LoRA factors " + f.in() + "x" + f.out() + " for W " + out + "x" + in);
        }
        double scale = alpha / rank;
        double[][] a = matrix(f.a(), in, rank);
        double[][] b = matrix(f.b(), rank, out);
        double[][] ab = matmul(a, b); // [in, out]
        double[][] y = new double[out][in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                y[o][i] = w[o][i] + scale * ab[i][o];
            }
        }
        return y;
    }

    /** {@code W = U diag(sigma) Vᵀ}, sigma descending; {@code u} is {@code [m][r]}, {@code v} is {@code [n][r]}. */
    public record Svd(double[][] u, double[] sigma, double[][] v) {}

    /**
     * One-sided Jacobi (Hestenes) SVD of {@code a [m][n]}: rotate pairs of columns until all are orthogonal; the
     * column norms are then the singular values. Double precision, for small matrices.
     */
    public static Svd svd(double[][] a) {
        int m = a.length;
        int n = a[0].length;
        if (m < n) {
            Svd t = svd(transpose(a));
            return new Svd(t.v(), t.sigma(), t.u());
        }
        double[][] u = new double[m][];
        for (int i = 0; i < m; i++) {
            u[i] = a[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = 0;
                    double beta = 0;
                    double gamma = 0;
                    for (int i = 0; i < m; i++) {
                        alpha += u[i][p] * u[i][p];
                        beta += u[i][q] * u[i][q];
                        gamma += u[i][p] * u[i][q];
                    }
                    if (Math.abs(gamma) <= 1e-13 * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    if (zeta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    for (int i = 0; i < m; i++) {
                        double up = u[i][p];
                        u[i][p] = c * up - s * u[i][q];
                        u[i][q] = s * up + c * u[i][q];
                    }
                    for (int i = 0; i < n; i++) {
                        double vp = v[i][p];
                        v[i][p] = c * vp - s * v[i][q];
                        v[i][q] = s * vp + c * v[i][q];
                    }
                }
            }
            if (!rotated) {
                break;
            }
            if (sweep == 99) {
                throw new IllegalStateException("Jacobi SVD did not converge");
            }
        }
        double[] sigma = new double[n];
        for (int j = 0; j < n; j++) {
            double norm = 0;
            for (int i = 0; i < m; i++) {
                norm += u[i][j] * u[i][j];
            }
            sigma[j] = Math.sqrt(norm);
        }
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (x, y) -> Double.compare(sigma[y], sigma[x]));
        double[][] us = new double[m][n];
        double[][] vs = new double[n][n];
        double[] ss = new double[n];
        for (int r = 0; r < n; r++) {
            int j = order[r];
            ss[r] = sigma[j];
            for (int i = 0; i < m; i++) {
                us[i][r] = sigma[j] == 0 ? 0 : u[i][j] / sigma[j];
            }
            for (int i = 0; i < n; i++) {
                vs[i][r] = v[i][j];
            }
        }
        return new Svd(us, ss, vs);
    }

    /** {@code U diag(s) Vᵀ}. */
    public static double[][] compose(Svd f, double[] s) {
        int m = f.u().length;
        int n = f.v().length;
        double[][] w = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int r = 0; r < s.length; r++) {
                    acc += f.u()[i][r] * s[r] * f.v()[j][r];
                }
                w[i][j] = acc;
            }
        }
        return w;
    }

    /**
     * Transformer²'s SVF: {@code W' = U diag(σ ⊙ z) Vᵀ} for {@code W = U diag(σ) Vᵀ}; with {@code preserveSum},
     * {@code σ ⊙ z} is multiplied by {@code Σσ / Σ(σ ⊙ z)} so that the sum of singular values stays what it was.
     */
    public static double[][] svf(Svd w, double[] z, boolean preserveSum) {
        double[] sigma = w.sigma();
        if (z.length != sigma.length) {
            throw new IllegalArgumentException(z.length + " z values for rank " + sigma.length);
        }
        double[] s = new double[z.length];
        double sum = 0;
        double scaledSum = 0;
        for (int i = 0; i < s.length; i++) {
            s[i] = sigma[i] * z[i];
            sum += sigma[i];
            scaledSum += s[i];
        }
        if (preserveSum) {
            for (int i = 0; i < s.length; i++) {
                s[i] *= sum / scaledSum;
            }
        }
        return compose(w, s);
    }

    // ------------------------------------------------------------------ the model

    /**
     * A Llama-family model's weights in double precision, by the checkpoint's names and layout ({@code [out][in]}).
     * {@link #with} replaces one weight matrix (an adapter's {@code W'}); the forward pass reads every projection
     * through {@link #weight}, so an adapted matrix is used exactly where the base one would be.
     */
    public static final class Model {
        private final ModelConfig cfg;
        private final Map<String, double[][]> matrices;
        private final Map<String, double[]> vectors;
        private final Map<String, Svd> svds = new HashMap<>();

        private Model(ModelConfig cfg, Map<String, double[][]> matrices, Map<String, double[]> vectors) {
            this.cfg = cfg;
            this.matrices = matrices;
            this.vectors = vectors;
        }

        /** From the tensors a checkpoint was written from ({@link CheckpointWriter.Tensor}, HF names). */
        public static Model of(ModelConfig cfg, List<CheckpointWriter.Tensor> tensors) {
            Map<String, double[][]> m = new HashMap<>();
            Map<String, double[]> v = new HashMap<>();
            for (CheckpointWriter.Tensor t : tensors) {
                if (t.shape().length == 2) {
                    m.put(t.name(), matrix(t.values(), (int) t.shape()[0], (int) t.shape()[1]));
                } else {
                    v.put(t.name(), vector(t.values()));
                }
            }
            if (!m.containsKey("lm_head.weight")) {
                m.put("lm_head.weight", m.get("model.embed_tokens.weight")); // tied head
            }
            return new Model(cfg, m, v);
        }

        public ModelConfig config() {
            return cfg;
        }

        /** The checkpoint name of an adaptable matrix. */
        public static String name(MatrixRef ref) {
            return ref.matrix() == TargetMatrix.HEAD
                    ? "lm_head.weight"
                    : "model.layers." + ref.layer() + "." + ref.matrix().hfName() + ".weight";
        }

        /** A matrix as {@code [out][in]}. */
        public double[][] weight(MatrixRef ref) {
            return matrices.get(name(ref));
        }

        /** A copy with {@code ref}'s matrix replaced by {@code w} ({@code [out][in]}). */
        public Model with(MatrixRef ref, double[][] w) {
            double[][] old = weight(ref);
            if (old.length != w.length || old[0].length != w[0].length) {
                throw new IllegalArgumentException("shape of " + ref.key());
            }
            Map<String, double[][]> m = new HashMap<>(matrices);
            m.put(name(ref), w);
            return new Model(cfg, m, vectors);
        }

        /** The model with a LoRA adapter's change on each of its targets. */
        public Model withLora(LoraAdapter lora) {
            Model out = this;
            for (var e : lora.weights().entrySet()) {
                out = out.with(e.getKey(), lora(weight(e.getKey()), e.getValue(), lora.rank(), lora.alpha()));
            }
            return out;
        }

        /** This model's SVD of one matrix, computed once. */
        public synchronized Svd svd(MatrixRef ref) {
            return svds.computeIfAbsent(name(ref), n -> Naive.svd(weight(ref)));
        }

        /** The model with SVF applied: {@code z} per target matrix, over this model's SVD of each. */
        public Model withSvf(Map<MatrixRef, double[]> z, boolean preserveSum) {
            Model out = this;
            for (var e : z.entrySet()) {
                out = out.with(e.getKey(), svf(svd(e.getKey()), e.getValue(), preserveSum));
            }
            return out;
        }

        private double[] bias(String name) {
            return cfg.attentionBias() ? vectors.get(name) : null;
        }

        private static double[] plus(double[] y, double[] b) {
            if (b != null) {
                for (int i = 0; i < y.length; i++) {
                    y[i] += b[i];
                }
            }
            return y;
        }

        /** Logits {@code [position][vocab]} after each token of one sequence (positions 0, 1, …). */
        public double[][] logits(int[] tokens) {
            int s = tokens.length;
            int heads = cfg.numHeads();
            int kvHeads = cfg.numKvHeads();
            int d = cfg.headDim();
            double eps = cfg.rmsNormEps();
            double[] invFreq = ropeInvFreq(cfg);
            double[][] embed = matrices.get("model.embed_tokens.weight");
            double[][] x = new double[s][];
            for (int t = 0; t < s; t++) {
                x[t] = embed[tokens[t]].clone();
            }
            for (int l = 0; l < cfg.numLayers(); l++) {
                String p = "model.layers." + l + ".";
                double[][] q = new double[s][];
                double[][] k = new double[s][];
                double[][] v = new double[s][];
                for (int t = 0; t < s; t++) {
                    double[] h = rmsNorm(x[t], vectors.get(p + "input_layernorm.weight"), eps);
                    q[t] = plus(linear(h, weight(new MatrixRef(l, TargetMatrix.Q))), bias(p + "self_attn.q_proj.bias"));
                    k[t] = plus(linear(h, weight(new MatrixRef(l, TargetMatrix.K))), bias(p + "self_attn.k_proj.bias"));
                    v[t] = plus(linear(h, weight(new MatrixRef(l, TargetMatrix.V))), bias(p + "self_attn.v_proj.bias"));
                    q[t] = ropeHeads(q[t], heads, d, t, invFreq);
                    k[t] = ropeHeads(k[t], kvHeads, d, t, invFreq);
                }
                double[][] attn = attention(q, k, v, heads, kvHeads, d);
                for (int t = 0; t < s; t++) {
                    double[] o = linear(attn[t], weight(new MatrixRef(l, TargetMatrix.O)));
                    for (int i = 0; i < o.length; i++) {
                        x[t][i] += o[i];
                    }
                    double[] h = rmsNorm(x[t], vectors.get(p + "post_attention_layernorm.weight"), eps);
                    double[] gate = linear(h, weight(new MatrixRef(l, TargetMatrix.GATE)));
                    double[] up = linear(h, weight(new MatrixRef(l, TargetMatrix.UP)));
                    double[] act = new double[gate.length];
                    for (int i = 0; i < act.length; i++) {
                        act[i] = silu(gate[i]) * up[i];
                    }
                    double[] down = linear(act, weight(new MatrixRef(l, TargetMatrix.DOWN)));
                    for (int i = 0; i < down.length; i++) {
                        x[t][i] += down[i];
                    }
                }
            }
            double[][] logits = new double[s][];
            for (int t = 0; t < s; t++) {
                double[] h = rmsNorm(x[t], vectors.get("model.norm.weight"), eps);
                logits[t] = linear(h, weight(MatrixRef.head()));
            }
            return logits;
        }

        private static double[] ropeHeads(double[] all, int heads, int d, int position, double[] invFreq) {
            double[] out = new double[all.length];
            for (int h = 0; h < heads; h++) {
                double[] r = rope(Arrays.copyOfRange(all, h * d, (h + 1) * d), position, invFreq);
                System.arraycopy(r, 0, out, h * d, d);
            }
            return out;
        }
    }
}
