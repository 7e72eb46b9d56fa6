package ai.adaptserve.lab.router;

import ai.adaptserve.model.route.TaskRouter;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a {@link TaskRouter}: multinomial logistic regression on standardised features, full-batch Adam with L2 weight
 * decay on the weights (not the biases), in plain Java. A pure function of its inputs: the same features, labels and
 * config give the same router, bit for bit.
 */
public final class RouterTrainer {
    /**
     * @param epochs full-batch steps
     * @param learningRate Adam step size
     * @param weightDecay L2 coefficient: the loss adds {@code weightDecay / 2 * |W|^2}
     * @param seed seeds the initial weights
     * @param threshold the router's confidence threshold, in [0, 1]
     */
    @RecordBuilder
    public record Config(int epochs, double learningRate, double weightDecay, long seed, double threshold)
            implements RouterTrainerConfigBuilder.With {
        public static final Config DEFAULT = new Config(300, 0.05, 1e-3, 1, 0.5);

        public Config {
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be at least 1: " + epochs);
            }
            if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be positive: " + learningRate);
            }
            if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
                throw new IllegalArgumentException("weight decay must not be negative: " + weightDecay);
            }
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("threshold must be in [0, 1]: " + threshold);
            }
        }
    }

    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;
    /** A feature whose spread is below this is constant: it is centred but not scaled. */
    private static final double MIN_STD = 1e-6;

    private RouterTrainer() {}

    /**
     * Fits the classifier.
     *
     * @param features one row of {@code 2 * hiddenSize} features per sample
     * @param labels the family of each sample; the router's labels are the distinct ones in order of first appearance
     * @param hiddenSize the base model's hidden size
     * @param baseFingerprint the base model the features come from
     * @throws IllegalArgumentException for no samples, mismatched lengths, rows of the wrong width or non-finite values
     */
    public static TaskRouter train(
            float[][] features, List<String> labels, int hiddenSize, String baseFingerprint, Config config) {
        int n = features.length;
        if (n == 0 || labels.size() != n) {
            throw new IllegalArgumentException("need one label per sample and at least one sample, got " + n
                    + " samples and " + labels.size() + " labels");
        }
        int f = 2 * hiddenSize;
        Map<String, Integer> index = new LinkedHashMap<>();
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            if (features[i].length != f) {
                throw new IllegalArgumentException(
                        "sample " + i + " has " + features[i].length + " features, expected " + f);
            }
            for (float v : features[i]) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("sample " + i + " has a non-finite feature");
                }
            }
            y[i] = index.computeIfAbsent(labels.get(i), k -> index.size());
        }
        int c = index.size();

        // Standardisation.
        float[] mean = new float[f];
        float[] std = new float[f];
        for (int j = 0; j < f; j++) {
            double s = 0;
            for (float[] row : features) {
                s += row[j];
            }
            double m = s / n;
            double v = 0;
            for (float[] row : features) {
                double d = row[j] - m;
                v += d * d;
            }
            double sd = Math.sqrt(v / n);
            mean[j] = (float) m;
            std[j] = sd < MIN_STD ? 1f : (float) sd;
        }
        double[][] z = new double[n][f];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f; j++) {
                z[i][j] = (features[i][j] - mean[j]) / std[j];
            }
        }

        SplittableRandom random = new SplittableRandom(config.seed());
        double[][] w = new double[c][f];
        for (double[] row : w) {
            for (int j = 0; j < f; j++) {
                row[j] = 0.01 * random.nextGaussian();
            }
        }
        double[] b = new double[c];
        double[][] mw = new double[c][f];
        double[][] vw = new double[c][f];
        double[] mb = new double[c];
        double[] vb = new double[c];
        double[][] gw = new double[c][f];
        double[] gb = new double[c];
        double[] p = new double[c];
        double loss = 0;
        int correct = 0;
        for (int epoch = 1; epoch <= config.epochs(); epoch++) {
            for (double[] row : gw) {
                Arrays.fill(row, 0);
            }
            Arrays.fill(gb, 0);
            loss = 0;
            correct = 0;
            for (int i = 0; i < n; i++) {
                int best = softmax(w, b, z[i], p);
                if (best == y[i]) {
                    correct++;
                }
                loss -= Math.log(Math.max(p[y[i]], 1e-300));
                p[y[i]] -= 1;
                for (int k = 0; k < c; k++) {
                    double d = p[k];
                    gb[k] += d;
                    double[] g = gw[k];
                    double[] x = z[i];
                    for (int j = 0; j < f; j++) {
                        g[j] += d * x[j];
                    }
                }
            }
            loss /= n;
            double l2 = 0;
            for (double[] row : w) {
                for (double v : row) {
                    l2 += v * v;
                }
            }
            loss += config.weightDecay() / 2 * l2;
            double c1 = 1 - Math.pow(BETA1, epoch);
            double c2 = 1 - Math.pow(BETA2, epoch);
            double lr = config.learningRate();
            for (int k = 0; k < c; k++) {
                for (int j = 0; j < f; j++) {
                    double g = gw[k][j] / n + config.weightDecay() * w[k][j];
                    mw[k][j] = BETA1 * mw[k][j] + (1 - BETA1) * g;
                    vw[k][j] = BETA2 * vw[k][j] + (1 - BETA2) * g * g;
                    w[k][j] -= lr * (mw[k][j] / c1) / (Math.sqrt(vw[k][j] / c2) + EPS);
                }
                double g = gb[k] / n;
                mb[k] = BETA1 * mb[k] + (1 - BETA1) * g;
                vb[k] = BETA2 * vb[k] + (1 - BETA2) * g * g;
                b[k] -= lr * (mb[k] / c1) / (Math.sqrt(vb[k] / c2) + EPS);
            }
        }

        float[][] wf = new float[c][f];
        float[] bf = new float[c];
        for (int k = 0; k < c; k++) {
            for (int j = 0; j < f; j++) {
                wf[k][j] = (float) w[k][j];
            }
            bf[k] = (float) b[k];
        }
        String summary = String.format(
                Locale.ROOT,
                "{\"trainer\":\"softmax-regression\",\"samples\":%d,\"epochs\":%d,\"learning_rate\":%s,"
                        + "\"weight_decay\":%s,\"seed\":%d,\"train_loss\":%.6f,\"train_accuracy\":%.6f}",
                n,
                config.epochs(),
                config.learningRate(),
                config.weightDecay(),
                config.seed(),
                loss,
                (double) correct / n);
        return new TaskRouter(
                new ArrayList<>(index.keySet()),
                wf,
                bf,
                mean,
                std,
                config.threshold(),
                hiddenSize,
                baseFingerprint,
                summary);
    }

    /** Softmax of {@code w x + b} into {@code p}; returns the arg max. */
    private static int softmax(double[][] w, double[] b, double[] x, double[] p) {
        int c = b.length;
        double max = Double.NEGATIVE_INFINITY;
        int best = 0;
        for (int k = 0; k < c; k++) {
            double s = b[k];
            double[] row = w[k];
            for (int j = 0; j < x.length; j++) {
                s += row[j] * x[j];
            }
            p[k] = s;
            if (s > max) {
                max = s;
                best = k;
            }
        }
        double total = 0;
        for (int k = 0; k < c; k++) {
            p[k] = Math.exp(p[k] - max);
            total += p[k];
        }
        for (int k = 0; k < c; k++) {
            p[k] /= total;
        }
        return best;
    }
}
