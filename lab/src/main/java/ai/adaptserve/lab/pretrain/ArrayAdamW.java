package ai.adaptserve.lab.pretrain;

import ai.adaptserve.model.checkpoint.CheckpointWriter;
import java.util.List;

/**
 * AdamW on Java {@code float[]} master weights, updated in place: Adam with bias correction, decoupled weight decay on
 * the matrices (not on norms or biases), global-norm gradient clipping, and the learning-rate schedule of a
 * {@link PretrainConfig} (linear warm-up, then cosine down to the final ratio). Holds the two moments per value and the
 * step count.
 */
final class ArrayAdamW {
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.95;
    static final double EPS = 1e-8;

    private final PretrainConfig cfg;
    private final List<CheckpointWriter.Tensor> params;
    private final float[][] m;
    private final float[][] v;
    private final boolean[] decay;
    private int t;

    /** Moments at zero for every tensor of {@code params}, whose values {@link #step} updates. */
    ArrayAdamW(PretrainConfig cfg, List<CheckpointWriter.Tensor> params) {
        this.cfg = cfg;
        this.params = params;
        int n = params.size();
        this.m = new float[n][];
        this.v = new float[n][];
        this.decay = new boolean[n];
        for (int i = 0; i < n; i++) {
            m[i] = new float[params.get(i).values().length];
            v[i] = new float[params.get(i).values().length];
            decay[i] = params.get(i).shape().length == 2;
        }
    }

    /** Steps taken so far. */
    int steps() {
        return t;
    }

    /** The learning rate of 1-based step {@code step}: linear warm-up, then cosine down to the final ratio. */
    double learningRate(int step) {
        double peak = cfg.learningRate();
        if (step <= cfg.warmupSteps()) {
            return peak * step / cfg.warmupSteps();
        }
        int decaySteps = cfg.steps() - cfg.warmupSteps();
        if (decaySteps <= 1) {
            return peak;
        }
        double progress = Math.min(1.0, (step - cfg.warmupSteps() - 1) / (double) (decaySteps - 1));
        double r = cfg.finalLearningRateRatio();
        return peak * (r + (1 - r) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /** One update from {@code grads} (one array per tensor, in order); returns the gradient norm before clipping. */
    double step(float[][] grads) {
        t++;
        double sq = 0;
        for (float[] g : grads) {
            for (float x : g) {
                sq += (double) x * x;
            }
        }
        double norm = Math.sqrt(sq);
        double clip = cfg.gradClip() > 0 && norm > cfg.gradClip() ? cfg.gradClip() / norm : 1.0;
        double lr = learningRate(t);
        float b1 = (float) BETA1;
        float b2 = (float) BETA2;
        float bc1 = (float) (1 - Math.pow(BETA1, t));
        float bc2 = (float) (1 - Math.pow(BETA2, t));
        float step = (float) lr;
        float shrink = (float) (1 - lr * cfg.weightDecay());
        float c = (float) clip;
        for (int i = 0; i < grads.length; i++) {
            float[] w = params.get(i).values();
            float[] g = grads[i];
            float[] mi = m[i];
            float[] vi = v[i];
            boolean d = decay[i] && cfg.weightDecay() > 0;
            for (int j = 0; j < w.length; j++) {
                float gj = g[j] * c;
                mi[j] = b1 * mi[j] + (1 - b1) * gj;
                vi[j] = b2 * vi[j] + (1 - b2) * gj * gj;
                float update = (mi[j] / bc1) / ((float) Math.sqrt(vi[j] / bc2) + (float) EPS);
                if (d) {
                    w[j] *= shrink;
                }
                w[j] -= step * update;
            }
        }
        return norm;
    }
}
